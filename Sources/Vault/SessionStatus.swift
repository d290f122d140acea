import VaultCrypto
import VaultStore

extension SessionStore {
    /// When the unlock held by `token` for the vault with this id ends, read from the session
    /// file's clear header; nil when there is no such session. Says nothing about whether the
    /// token opens the file: `unlock` checks that.
    public func expiry(of token: String, vaultIDHex: String) -> Int64? {
        guard token.hasPrefix(SessionStore.tokenPrefix),
            let decoded = try? ByteEncoding.secretFromBase64URL(
                String(token.dropFirst(SessionStore.tokenPrefix.count))),
            decoded.count == 48
        else { return nil }
        let sessionID = decoded.withUnsafeBytes { Array($0[0..<16]) }
        let path = "\(directory)/\(vaultIDHex)-\(ByteEncoding.hex(sessionID)).session"
        guard let bytes = try? SecureFiles.read(path, limit: 4096), bytes.count >= 16,
            Array(bytes[0..<8]) == SessionStore.magic
        else { return nil }
        let expires = bytes[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return expires <= UInt64(Int64.max) ? Int64(expires) : nil
    }
}
