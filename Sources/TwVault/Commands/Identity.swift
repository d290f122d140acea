import ArgumentParser
import Vault
import VaultOperations

struct IdentityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "identity",
        abstract: "Create or show your identity: the key pair teammates add you to a vault with.",
        discussion: """
            The secret key is kept in $XDG_CONFIG_HOME/twvault/identity (else ~/.config/twvault/identity), \
            sealed under your own passphrase. Give the public key line to whoever adds you with \
            `twvault member add`.

            Examples:
              twvault identity new
              twvault identity show
            """,
        subcommands: [IdentityNew.self, IdentityShow.self])
}

struct IdentityNew: VaultCommand {
    static let configuration = CommandConfiguration(
        commandName: "new",
        abstract: "Create your identity and print its public key.",
        discussion: """
            The passphrase that seals the secret key is asked twice on a terminal, or comes from \
            TWVAULT_NEW_PASSPHRASE, --new-passphrase-file, or the usual passphrase channels. It is the \
            passphrase you unlock shared vaults with. An existing identity is never replaced (exit 73).

            Example:
              twvault identity new
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var newPassphrase: NewPassphraseOptions

    func run(in context: Context) async throws {
        let access = VaultAccess(global.values, context: context)
        let path = access.identityPath
        if try IdentityFile.publicKey(at: path) != nil { throw VaultError.identityExists(path: path) }
        let passphrase = try access.newPassphrase(file: newPassphrase.newPassphraseFile, allowCurrentChannel: true)
        let identity = Identity.generate()
        try IdentityFile.create(at: path, identity: identity, passphrase: passphrase, limits: newPassphrase.kdf.limits)
        access.context.output.stdout(identity.publicKeyText + "\n")
        access.context.output.info("created the identity \(access.displayPath(path)); give the line above to your team")
    }
}

struct IdentityShow: VaultCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print your public key (no passphrase needed).",
        discussion: """
            Example:
              twvault identity show
            """)

    @OptionGroup var global: GlobalOptions

    func run(in context: Context) async throws {
        let access = VaultAccess(global.values, context: context)
        guard let publicKey = try IdentityFile.publicKey(at: access.identityPath) else {
            throw VaultError.identityNotFound(path: access.displayPath(access.identityPath))
        }
        access.context.output.stdout(PublicKeyText.encode(publicKey) + "\n")
    }
}
