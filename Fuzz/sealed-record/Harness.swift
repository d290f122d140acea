import Foundation
import VaultCrypto

@testable import Vault

// libFuzzer harness: opening sealed records (Sources/Vault/SealedRecord.swift) and decoding
// their payloads.
//
// The first input byte picks what the rest is:
// - even: a sealed blob as read from the file. Opening must throw, never trap; without the
//   key nothing authenticates, so this covers the length handling around secretbox.
// - odd: a plaintext sealed with the right key for (profile "p", kind "profile"), as if the
//   data key were known. Opening must not trap, must succeed exactly when the plaintext
//   starts with the record's own context, and decoding the payload as a profile or a cached
//   token must throw or succeed, never trap.

private let vaultID = [UInt8](repeating: 0x5A, count: 16)
private let sealer = try! RecordSealer(
    vaultID: vaultID, dataKey: SecretBytes(copying: [UInt8](repeating: 7, count: 32)))
private let context = sealer.context(profile: "p", kind: .profile)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSealedRecord(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let rest = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    if data[0] & 1 == 0 {
        if (try? sealer.open(rest, profile: "p", kind: .profile)) != nil {
            preconditionFailure("a blob sealed without the key opened")
        }
        return 0
    }
    let sealed = rest.withUnsafeBytes { try! SecretBox.seal($0, key: sealer.key(for: context)) }
    let ownContext =
        rest.count >= 2 + context.count && Int(rest[0]) << 8 | Int(rest[1]) == context.count
        && Array(rest[2..<(2 + context.count)]) == context
    do {
        let payload = try sealer.open(sealed, profile: "p", kind: .profile)
        precondition(ownContext, "a record with a foreign context opened")
        precondition(payload.withUnsafeBytes { Array($0) } == Array(rest[(2 + context.count)...]), "payload changed")
        _ = try? PayloadCoding.decode(ProfileRecord.self, from: payload, what: "profile 'p'")
        _ = try? PayloadCoding.decode(CachedToken.self, from: payload, what: "token of 'p'")
    } catch {
        precondition(!ownContext, "a record with its own context did not open: \(error)")
    }
    // Other profiles and kinds never open it.
    precondition((try? sealer.open(sealed, profile: "q", kind: .profile)) == nil, "opened under another profile")
    precondition((try? sealer.open(sealed, profile: "p", kind: .token)) == nil, "opened under another kind")
    return 0
}
