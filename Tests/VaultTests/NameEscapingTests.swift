import Foundation
import Testing
import VaultCrypto
import VaultStore

@testable import Vault

/// Names read from the file reach the terminal only escaped: no C0/C1 control, DEL or
/// bidirectional formatting character is ever printed raw.
@Suite("Name escaping")
struct NameEscapingTests {
    /// A title change, a screen clear, a right-to-left override and a C1 CSI, as SQL.
    static let hostileSQL =
        "'x' || char(27) || ']0;owned' || char(7) || char(27) || '[2J' || char(0x202E) || 'fdp.' || char(0x9b)"
    static let hostile = "x\u{1B}]0;owned\u{07}\u{1B}[2J\u{202E}fdp.\u{9B}"

    /// Whether `text` holds anything a terminal or the bidirectional algorithm would act on.
    static func isRaw(_ text: String) -> Bool {
        text.unicodeScalars.contains { Names.needsEscape($0) }
    }

    @Test(
        "escapes: controls as \\xHH, directional formatting as \\u{…}, backslashes doubled",
        arguments: [
            ("plain-name_1.2", "plain-name_1.2"), ("a\u{1B}b", "a\\x1bb"), ("\u{07}\u{7F}", "\\x07\\x7f"),
            ("c1\u{9B}", "c1\\x9b"), ("\u{202E}evil", "\\u{202E}evil"), ("\u{2066}\u{2069}", "\\u{2066}\\u{2069}"),
            ("\u{200E}\u{200F}\u{061C}", "\\u{200E}\\u{200F}\\u{61C}"), ("\u{202A}", "\\u{202A}"),
            ("line\u{2028}", "line\\u{2028}"), ("back\\slash", "back\\\\slash"),
            ("caf\u{E9} \u{1F511}", "caf\u{E9} \u{1F511}"),
        ])
    func escaping(raw: String, escaped: String) {
        #expect(Names.escaped(raw) == escaped)
        #expect(!Self.isRaw(Names.escaped(raw)))
        #expect(!Self.isRaw(Names.printable(raw)))
        #expect(!Self.isRaw(Names.terminalSafe(raw)))
    }

    @Test("a valid name is shown as it is; another is escaped; printable bounds the length")
    func display() {
        #expect(Names.display("acme-prod") == "acme-prod")
        #expect(Names.display(Self.hostile) == "x\\x1b]0;owned\\x07\\x1b[2J\\u{202E}fdp.\\x9b")
        #expect(Names.display("a\\b") == "a\\\\b")
        #expect(Names.printable(String(repeating: "\u{1B}", count: 500)).count == 80 * 4)
        // terminalSafe leaves backslashes, so text escaped once is not escaped twice.
        #expect(Names.terminalSafe(Names.escaped(Self.hostile)) == Names.escaped(Self.hostile))
    }

    @Test("a profile name and a slot label planted by SQL are escaped in verify and in errors")
    func plantedNames() throws {
        try withTemporaryDirectory { directory in
            let path = "\(directory)/vault.db"
            do {
                let vault = try TestVault.create(path)
                try vault.addProfile("p", TestVault.profile(95))
            }
            try tamper(
                path,
                """
                INSERT INTO record SELECT \(Self.hostileSQL), kind, sealed, updated_at FROM record WHERE profile = 'p';
                INSERT INTO record SELECT \(Self.hostileSQL), 'token', sealed, updated_at FROM record WHERE profile = 'p';
                """)
            let vault = try TestVault.unlock(path)
            #expect(try vault.file.profileNames().contains(Self.hostile), "the name is stored as planted")
            let failures = vault.verify()
            #expect(failures.count >= 2)
            for failure in failures {
                #expect(!Self.isRaw(failure), "raw control in: \(failure.debugDescription)")
            }
            #expect(failures.contains { $0.contains("x\\x1b]0;owned") })
            // Reading the planted profile: the error names it escaped.
            let error = try #require(vaultError { _ = try vault.profile(Self.hostile) })
            #expect(error.isTampered)
            #expect(!Self.isRaw(error.description))
            #expect(!Self.isRaw(VaultError.profileNotFound(Self.hostile).description))
            #expect(!Self.isRaw(VaultError.slotExists(Self.hostile).description))

            // A slot label, planted with limits the policy refuses: the refusal names it escaped.
            try tamper(
                path,
                """
                INSERT INTO slot (label, algorithm, ops_limit, mem_limit, salt, wrapped_key, created_at)
                SELECT \(Self.hostileSQL), algorithm, 1, mem_limit, salt, wrapped_key, created_at FROM slot
                """)
            let slotError = try #require(vaultError { _ = try TestVault.unlock(path) })
            #expect(slotError.exitCode == 78)
            #expect(!Self.isRaw(slotError.description))
            #expect(slotError.description.contains("\\u{202E}"))
        }
    }
}
