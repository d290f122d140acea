import Vault

/// `passwd --rekey`, `passwd --remove-slot` and `member remove` (DESIGN §12): a new data key,
/// the slots that cannot follow it listed and removed only when the caller agreed.
public enum Rekeying {
    /// Rekeys `vault`, removing the slots in `removing`. Passphrase slots other than the one the
    /// vault is open with cannot be wrapped again (their passphrases are unknown): unless `yes`,
    /// they are named in a usage error (64) and nothing changes. Ends every unlock session
    /// (the lock generation rose in the rekey's transaction; the files are removed here) and
    /// folds the old ciphertext out of the file. Returns the vault under its new key.
    @discardableResult
    public static func run(
        _ vault: UnlockedVault, removing: Set<String>, yes: Bool, access: VaultAccess
    ) throws -> UnlockedVault {
        let slots = try vault.file.slots()
        for name in removing.sorted() where !slots.contains(where: { $0.label == name }) {
            throw VaultError.slotNotFound(name)
        }
        guard let own = vault.slotLabel else {
            throw OperationError.usage("a rekey needs the passphrase: it cannot run from an unlock session")
        }
        if removing.contains(own) {
            guard slots.count > 1 else { throw VaultError.lastSlot }
            throw OperationError.usage(
                "cannot remove slot '\(Names.printable(own))': the vault is open with it; unlock with another slot to remove it"
            )
        }
        let dropped = slots.filter { $0.kind == .passphrase && $0.label != own && !removing.contains($0.label) }
        if !dropped.isEmpty && !yes {
            let names = dropped.map { "'\(Names.printable($0.label))'" }.joined(separator: ", ")
            throw OperationError.usage(
                "a rekey also removes the passphrase slot(s) \(names), whose passphrases cannot follow the new key: pass --yes to go ahead, or re-add them afterwards with `twvault passwd --add-slot`"
            )
        }
        let environment = access.context.environment
        let result = try vault.rekey(removing: removing, now: access.context.now()) {
            CrashPoint.reached(.rekeyWritten, access.context)
        }
        CrashPoint.reached(.rekeyCommitted, access.context)
        let ended = SessionStore.removeSessionFiles(vaultIDHex: vault.file.vaultIDHex, environment: environment)
        result.vault.purgeOldCiphertext()
        for label in result.removed.sorted() {
            access.context.output.info("removed slot '\(Names.printable(label))'")
        }
        let members = try result.vault.file.slots().filter(\.isMember).count
        access.context.output.info(
            "rekeyed: every record sealed again under a new data key, \(members) member slot(s) wrapped again, \(ended) unlock session(s) ended"
        )
        return result.vault
    }
}
