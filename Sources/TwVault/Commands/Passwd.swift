import ArgumentParser
import Vault
import VaultOperations

struct Passwd: VaultCommand {
    static let configuration = CommandConfiguration(
        commandName: "passwd",
        abstract: "Change the passphrase, or manage teammates' passphrase slots.",
        discussion: """
            Always asks for a current passphrase (an unlock session is not enough). Only the wrapped \
            data key changes; records stay as they are.

            Examples:
              twvault passwd
              twvault passwd --add-slot alice        # alice's passphrase is asked twice
              twvault passwd --remove-slot alice
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var newPassphrase: NewPassphraseOptions
    @Option(help: ArgumentHelp("Add a passphrase slot with this label.", valueName: "label"))
    var addSlot: String?
    @Option(help: ArgumentHelp("Remove the passphrase slot with this label.", valueName: "label"))
    var removeSlot: String?

    func validate() throws {
        guard addSlot == nil || removeSlot == nil else {
            throw ValidationError("--add-slot and --remove-slot exclude each other")
        }
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
            try vault.removeSlot(label: label)
            access.context.output.info("removed passphrase slot '\(label)'")
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
