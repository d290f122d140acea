import ArgumentParser
import Vault
import VaultOperations

struct Init: VaultCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a new vault.",
        discussion: """
            The passphrase is asked twice on the terminal, or read from $TWVAULT_NEW_PASSPHRASE, \
            --new-passphrase-file, or the ordinary passphrase channels.

            Examples:
              twvault init
              twvault init --kdf sensitive
              twvault init --new-passphrase-file ~/.config/twvault/pass
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var newPassphrase: NewPassphraseOptions

    func run(in context: Context) async throws {
        let access = VaultAccess(global.values, context: context)
        let path = access.vaultPath
        if SecureFilesProbe.exists(path) { throw VaultError.vaultExists(path: path) }
        let passphrase = try access.newPassphrase(file: newPassphrase.newPassphraseFile, allowCurrentChannel: true)
        _ = try VaultFile.create(
            path: path, passphrase: passphrase, limits: newPassphrase.kdf.limits,
            now: access.context.now())
        access.context.output.info("created vault \(path)")
    }
}
