import Foundation
import Testing
import VaultCrypto
import VaultStore

@testable import Vault

/// `TWVAULT_SESSION` with one entry per vault.
@Suite("Session variable: several vaults unlocked at once")
struct SessionVariableTests {
    /// A token as twvault 0.1 printed it: the same session, without the vault id.
    static func firstLayout(_ token: String) -> String { "twv1." + token.suffix(64) }

    /// A well-formed entry for a vault id that no vault here has.
    static func stranger(_ seed: Character) -> String {
        "twv2." + String(repeating: "0", count: 31) + String(seed) + "." + String(repeating: "B", count: 64)
    }

    @Test("parsing keeps well-formed entries once, where each last appears, and ignores the rest")
    func parsing() {
        let a = Self.stranger("a")
        let b = Self.stranger("b")
        let legacy = "twv1." + String(repeating: "C", count: 64)
        let variable = SessionVariable("garbage:\(a)::\(b):\(a):twv2.short:\(legacy):")
        #expect(variable.entries.map(\.text) == [b, a, legacy])
        #expect(
            variable.entries.map(\.vaultIDHex) == [
                String(b.dropFirst(5).prefix(32)), String(a.dropFirst(5).prefix(32)), nil,
            ])
        #expect(variable.value == "\(b):\(a):\(legacy)")
        #expect(SessionVariable("nothing:here").value == nil)
        #expect(SessionVariable(nil).entries.isEmpty)
    }

    @Test("the candidates for a vault are its entries newest first, then first-layout tokens, at most 16")
    func candidates() {
        let id = String(repeating: "0", count: 31) + "a"
        let own = (0..<20).map { "twv2.\(id)." + String(format: "%064d", $0) }
        let legacy = "twv1." + String(repeating: "C", count: 64)
        let variable = SessionVariable(([legacy, Self.stranger("b")] + own).joined(separator: ":"))
        let candidates = variable.candidates(forVaultIDHex: id).map(\.text)
        #expect(candidates.count == SessionVariable.maximumEntries)
        #expect(candidates.first == own.last)
        #expect(!candidates.contains(Self.stranger("b")))
        let few = SessionVariable([own[0], legacy, own[1]].joined(separator: ":"))
        #expect(few.candidates(forVaultIDHex: id).map(\.text) == [own[1], own[0], legacy])
    }

    @Test("one value opens each vault with its own entry; garbage and other vaults' entries are passed over")
    func oneValueOpensEach() throws {
        try withTemporaryDirectory { directory in
            let store = SessionStore(directory: "\(directory)/sessions")
            let a = try TestVault.create("\(directory)/a.db")
            let b = try TestVault.create("\(directory)/b.db")
            let recordA = TestVault.profile(1)
            let recordB = TestVault.profile(2)
            try a.addProfile("p", recordA)
            try b.addProfile("p", recordB)
            let tokenA = try store.create(for: a, ttl: 600)
            let tokenB = try store.create(for: b, ttl: 600)
            let value = "garbage:\(tokenA):\(Self.stranger("c")):\(tokenB):twv1.!!"
            #expect(try store.unlock(a.file, token: value).profile("p") == recordA)
            #expect(try store.unlock(b.file, token: value).profile("p") == recordB)
            // Only other vaults' entries: no unlock of this vault (77). Nothing usable: malformed (77).
            let others = vaultError { _ = try store.unlock(a.file, token: "\(tokenB):\(Self.stranger("c"))") }
            #expect(others == .sessionNotForThisVault)
            #expect(others?.exitCode == 77)
            #expect(vaultError { _ = try store.unlock(a.file, token: "x:y") } == .sessionInvalid("malformed token"))
            // A first-layout token still opens its vault, also among others.
            #expect(try store.unlock(a.file, token: Self.firstLayout(tokenA)).slotLabel == nil)
            #expect(try store.unlock(a.file, token: "\(tokenB):\(Self.firstLayout(tokenA))").slotLabel == nil)
        }
    }

    @Test(
        "an ended entry of a vault does not hide a live one of it, older or newer; when none opens, the newest says why"
    )
    func staleAndLive() throws {
        try withTemporaryDirectory { directory in
            let store = SessionStore(directory: "\(directory)/sessions")
            let a = try TestVault.create("\(directory)/a.db")
            let short = try store.create(for: a, ttl: 10, now: 1_000)
            let long = try store.create(for: a, ttl: 600, now: 1_000)
            let opened = try store.open(a.file, session: "\(long):\(short)", now: 1_100)
            #expect(opened.expiresAt == 1_600)
            #expect(try store.open(a.file, session: "\(short):\(long)", now: 1_100).expiresAt == 1_600)
            let error = vaultError { _ = try store.unlock(a.file, token: "\(long):\(short)", now: 2_000) }
            #expect(error == .sessionExpired)
        }
    }

    @Test("unlock's value: other vaults' entries kept, this vault's replaced, first-layout tokens named, at most 16")
    func adding() throws {
        try withTemporaryDirectory { directory in
            let store = SessionStore(directory: "\(directory)/sessions")
            let a = try TestVault.create("\(directory)/a.db")
            let b = try TestVault.create("\(directory)/b.db")
            let tokenA = try store.create(for: a, ttl: 600)
            let tokenB = try store.create(for: b, ttl: 600)
            let again = try store.create(for: a, ttl: 600)
            #expect(
                store.adding(again, vaultIDHex: a.file.vaultIDHex, to: "junk:\(tokenA):\(tokenB)")
                    == "\(tokenB):\(again)")
            #expect(store.adding(tokenA, vaultIDHex: a.file.vaultIDHex, to: nil) == tokenA)
            // A first-layout token of B is rewritten to name B; one of A is replaced; one whose
            // session file is gone is dropped.
            let gone = "twv1." + String(repeating: "D", count: 64)
            let value = store.adding(
                again, vaultIDHex: a.file.vaultIDHex,
                to: [Self.firstLayout(tokenB), Self.firstLayout(tokenA), gone].joined(separator: ":"))
            #expect(value == "\(tokenB):\(again)")
            // Bounded: the newest 15 others and the new entry.
            let strangers = (0..<20).map {
                "twv2." + String(format: "%032x", $0 + 1) + "." + String(repeating: "E", count: 64)
            }
            let bounded = SessionVariable(
                store.adding(again, vaultIDHex: a.file.vaultIDHex, to: strangers.joined(separator: ":")))
            #expect(bounded.entries.count == SessionVariable.maximumEntries)
            #expect(bounded.entries.map(\.text) == Array(strangers.suffix(15)) + [again])
        }
    }

    @Test("lock's value: this vault's entries gone, first-layout ones included; nothing left means unset")
    func removing() throws {
        try withTemporaryDirectory { directory in
            let store = SessionStore(directory: "\(directory)/sessions")
            let a = try TestVault.create("\(directory)/a.db")
            let b = try TestVault.create("\(directory)/b.db")
            let tokenA = try store.create(for: a, ttl: 600)
            let tokenB = try store.create(for: b, ttl: 600)
            #expect(store.removing(vaultIDHex: a.file.vaultIDHex, from: "\(tokenA):\(tokenB)") == tokenB)
            #expect(
                store.removing(vaultIDHex: a.file.vaultIDHex, from: "\(Self.firstLayout(tokenA)):\(tokenB)") == tokenB)
            #expect(store.removing(vaultIDHex: a.file.vaultIDHex, from: tokenA) == nil)
            #expect(store.removing(vaultIDHex: a.file.vaultIDHex, from: Self.firstLayout(tokenA)) == nil)
            #expect(store.removing(vaultIDHex: a.file.vaultIDHex, from: nil) == nil)
        }
    }
}
