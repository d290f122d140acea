import ArgumentParser
import Vault
import VaultOperations

struct Backup: VaultCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Write a checked copy of the whole vault.",
        discussion: """
            The copy is consistent (one moment of the vault, also while other commands write), mode \
            0600, and checked before it takes its name: every slot, every record and the vault's \
            integrity, with the same passphrase or unlock. An existing FILE is replaced only with --force. \
            To restore, copy the file back in the vault's place: that rolls the vault back to the \
            moment of the backup, with the passphrases it had then.

            Examples:
              twvault backup ~/backups/twvault-$(date +%F).db
              twvault --vault ~/backups/twvault-2026-01-31.db list
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: ArgumentHelp("The file to write.", valueName: "file"), completion: .file())
    var file: String
    @Flag(help: "Replace FILE if it exists.")
    var force = false

    func run(in context: Context) async throws {
        let access = VaultAccess(global.values, context: context)
        try VaultBackups.checkTarget(file, vaultPath: access.vaultPath, replace: force)
        let vault = try access.openUnlocked()
        let summary = try VaultBackups.write(vault, to: file, replace: force)
        access.context.output.info(
            "wrote a backup of \(access.displayPath) to \(access.displayPath(file)): \(summary.profiles) profile(s), \(summary.slots) slot(s), checked"
        )
    }
}
