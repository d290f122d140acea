import VaultCrypto
import VaultStore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What `backup` wrote.
public struct BackupSummary: Sendable, Equatable {
    public var profiles: Int
    public var slots: Int
}

extension UnlockedVault {
    /// Writes a consistent copy of the whole vault to `destination`, mode 0600: slots, records,
    /// the vault MAC, as of one moment, while other processes may go on writing.
    ///
    /// The copy is written under a temporary name beside `destination`, opened and checked as
    /// `verify` checks a vault — every slot's structure, every record with this vault's data
    /// key, the vault MAC — synced, and only then given its name: by `link`, which refuses an
    /// existing file (`vaultExists` with `destination`), or with `replace` by `rename`. A copy
    /// that fails its check, or any failure on the way, leaves `destination` as it was.
    /// Restoring is putting the file back in the vault's place: it rolls the vault back to
    /// this moment, and opens with the passphrases the vault had then.
    public func backup(to destination: String, replace: Bool) throws(VaultError) -> BackupSummary {
        let temporary =
            SecureFiles.directory(of: destination)
            + "/.twvault-backup-\(getpid())-\(ByteEncoding.hex(RandomBytes.make(6)))"
        func removeTemporary() {
            for suffix in ["", "-journal", "-wal", "-shm"] { SecureFiles.remove(temporary + suffix) }
        }
        do {
            let summary = try translating(path: destination) { () throws -> BackupSummary in
                try SecureFiles.createPrivateFile(temporary)
                try connection.copy(into: temporary)
                let summary = try checkCopy(at: temporary)
                try SecureFiles.sync(temporary)
                if replace {
                    guard rename(temporary, destination) == 0 else {
                        throw StoreError.system(call: "rename", path: destination, errno: errno)
                    }
                } else {
                    guard link(temporary, destination) == 0 else {
                        let code = errno
                        if code == EEXIST { throw VaultError.vaultExists(path: destination) }
                        throw StoreError.system(call: "link", path: destination, errno: code)
                    }
                }
                try SecureFiles.sync(SecureFiles.directory(of: destination), directory: true)
                return summary
            }
            removeTemporary()
            return summary
        } catch {
            removeTemporary()
            throw error
        }
    }

    /// Opens the copy read-only with this vault's data key and checks it as `verify` does.
    private func checkCopy(at path: String) throws -> BackupSummary {
        let copy = try VaultFile.openCopy(path: path)
        guard copy.vaultID == file.vaultID else { throw VaultError.corrupt("the copy has another vault id") }
        let unlocked = try UnlockedVault(file: copy, dataKey: dataKey, slotLabel: nil)
        if let failure = unlocked.verify().first {
            throw VaultError.corrupt("the backup failed its check (\(failure)); nothing was written")
        }
        return BackupSummary(profiles: try copy.profileNames().count, slots: try copy.slots().count)
    }
}
