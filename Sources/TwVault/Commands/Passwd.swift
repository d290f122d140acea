import ArgumentParser
import Vault
import VaultOperations

struct Passwd: VaultCommand {
    static let configuration = CommandConfiguration(
        commandName: "passwd",
        abstract: "Change the passphrase, manage passphrase slots, or rekey the vault.",
        discussion: """
            Always asks for a current passphrase (an unlock session is not enough). Changing the \
            passphrase or adding a slot changes only the wrapped data key; records stay as they are.

            --rekey replaces the data key: every record is sealed again, member slots and your own slot \
            are wrapped again, every unlock ends. Other passphrase slots cannot follow (their passphrases \
            are unknown): they are listed, and removed only with --yes. --remove-slot rekeys too, so the \
            removed passphrase opens nothing written afterwards.

            Examples:
              twvault passwd
              twvault passwd --add-slot alice        # alice's passphrase is asked twice
              twvault passwd --remove-slot alice
              twvault passwd --rekey --yes
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var newPassphrase: NewPassphraseOptions
    @Option(help: ArgumentHelp("Add a passphrase slot with this label.", valueName: "label"))
    var addSlot: String?
    @Option(help: ArgumentHelp("Remove the passphrase slot with this label.", valueName: "label"))
    var removeSlot: String?
    @Flag(help: "Replace the data key (see above).")
    var rekey = false
    @Flag(help: "Let a rekey remove the other passphrase slots it cannot keep.")
    var yes = false

    func validate() throws {
        guard addSlot == nil || removeSlot == nil else {
            throw ValidationError("--add-slot and --remove-slot exclude each other")
        }
        guard !rekey || addSlot == nil else { throw ValidationError("--add-slot and --rekey exclude each other") }
        for label in [addSlot, removeSlot].compactMap({ $0 }) where !Names.isValidProfile(label) {
            throw ValidationError(
                "invalid slot label '\(Names.printable(label))': use 1-64 letters, digits, '.', '_' or '-'")
        }
    }

    func run(in context: Context) async throws {
        let access = VaultAccess(global.values, context: context)
        let vault = try access.openUnlocked(allowSession: false)
        let limits = newPassphrase.kdf.limits
        let now = access.context.now()
        if let label = addSlot {
            if try vault.file.slots().contains(where: { $0.label == label }) { throw VaultError.slotExists(label) }
            let passphrase = try access.newPassphrase(file: newPassphrase.newPassphraseFile, allowCurrentChannel: false)
            try vault.addSlot(label: label, passphrase: passphrase, limits: limits, now: now)
            access.context.output.info("added passphrase slot '\(label)'")
        } else if let label = removeSlot {
            try Rekeying.run(vault, removing: [label], yes: yes, access: access)
        } else if rekey {
            try Rekeying.run(vault, removing: [], yes: yes, access: access)
        } else {
            guard let label = vault.slotLabel else {
                throw OperationError.usage("unlock with a passphrase to change it")
            }
            let passphrase = try access.newPassphrase(file: newPassphrase.newPassphraseFile, allowCurrentChannel: false)
            try vault.changePassphrase(label: label, to: passphrase, limits: limits, now: now)
            access.context.output.info("changed the passphrase of slot '\(Names.printable(label))'")
        }
    }
}
