import Vault
import VaultStore

#if canImport(Glibc)
    import Glibc
#endif

/// `backup FILE`: the checks on FILE before the vault is unlocked, then the copy.
public enum VaultBackups {
    /// Refuses a FILE that exists (73, unless `replace`), is a directory, sits in a missing
    /// directory (66), or is the vault or one of its companions (64), before any passphrase is
    /// asked for.
    public static func checkTarget(_ path: String, vaultPath: String, replace: Bool) throws {
        guard !path.isEmpty else { throw OperationError.usage("name the backup file") }
        let directory = SecureFiles.directory(of: path)
        var info = stat()
        guard stat(directory, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw OperationError.notFound("no directory \(directory) to write the backup in: create it first")
        }
        var vault = stat()
        let vaultExists = stat(vaultPath, &vault) == 0
        for companion in [path, path + "-wal", path + "-shm", path + "-journal"] {
            var target = stat()
            if vaultExists, stat(companion, &target) == 0, target.st_dev == vault.st_dev, target.st_ino == vault.st_ino
            {
                throw OperationError.usage("\(path) is the vault itself: write the backup to another file")
            }
        }
        if [vaultPath + "-wal", vaultPath + "-shm"].contains(path) {
            throw OperationError.usage("\(path) belongs to the vault: write the backup to another file")
        }
        var target = stat()
        guard lstat(path, &target) == 0 else { return }
        if target.st_mode & S_IFMT == S_IFDIR {
            throw OperationError.usage("\(path) is a directory: name the backup file, e.g. \(path)/vault-backup.db")
        }
        if !replace { throw exists(path) }
    }

    /// Writes and checks the copy (see `UnlockedVault.backup`).
    public static func write(_ vault: UnlockedVault, to path: String, replace: Bool) throws -> BackupSummary {
        do {
            return try vault.backup(to: path, replace: replace)
        } catch .vaultExists(let existing) where existing == path {
            throw exists(path)
        }
    }

    private static func exists(_ path: String) -> OperationError {
        .exists("\(path) already exists: choose another file, or replace it with --force")
    }
}
