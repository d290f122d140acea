import VaultStore

/// File checks the commands need before the vault is opened.
enum SecureFilesProbe {
    static func exists(_ path: String) -> Bool { SecureFiles.exists(path) }
}
