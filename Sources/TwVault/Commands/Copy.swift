import ArgumentParser
import Vault
import VaultOperations

struct Copy: VaultCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "Copy a profile under a new name.",
        discussion: """
            Copies everything the profile holds: credentials, refresh token, previous client secret, extra \
            variables, settings and credential ages. The cached access token, rotation state and ephemeral keys \
            stay with the original. An existing destination is refused unless --force, which replaces \
            it (on a terminal, after listing what would be lost and asking).

            Examples:
              twvault copy acme-prod acme-staging
              twvault update acme-staging --region ie1
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The profile to copy.")
    var source: String
    @Argument(help: "The name of the copy.")
    var destination: String
    @Flag(help: "Replace an existing profile of the new name, and everything it holds.")
    var force = false

    func validate() throws {
        for name in [source, destination] where !Names.isValidProfile(name) {
            throw ValidationError(
                "invalid profile name '\(Names.printable(name))': use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
            )
        }
        guard source != destination else { throw ValidationError("the copy needs another name than '\(source)'") }
    }

    func run(in context: Context) async throws {
        let access = VaultAccess(global.values, context: context)
        let context = access.context
        let file = try access.open()
        guard try file.hasProfile(source) else { throw VaultError.profileNotFound(source) }
        let exists = try file.hasProfile(destination)
        if exists, !force { throw VaultError.profileExists(destination) }
        let vault = try access.unlock(file)
        if exists {
            try ProfileEditing.refuseReplacingWorkInProgress(destination, vault: vault)
            try ProfileEditing.confirmReplacement(of: destination, vault: vault, context: context)
        }
        let record = try ProfileEditing.copy(
            source, to: destination, replace: force, vault: vault, now: context.now())
        context.output.info(
            "copied '\(source)' to '\(destination)' (\(record.credentialKinds.joined(separator: ", ")))")
    }
}
