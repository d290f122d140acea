import VaultStore

/// File checks the commands need before the vault is opened.
public enum SecureFilesProbe {
    public static func exists(_ path: String) -> Bool { SecureFiles.exists(path) }
}
