import ArgumentParser
import Vault
import VaultOperations

struct Rename: VaultCommand {
    static let configuration = CommandConfiguration(
        commandName: "rename",
        abstract: "Rename a profile.",
        discussion: """
            Every record of the profile is sealed again under the new name.

            Example:
              twvault rename acme acme-prod
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The current name.", completion: CompletionKind.profileNames)
    var old: String
    @Argument(help: "The new name.")
    var new: String

    func validate() throws {
        for name in [old, new] where !Names.isValidProfile(name) {
            throw ValidationError(
                "invalid profile name '\(Names.printable(name))': use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
            )
        }
    }

    func run(in context: Context) async throws {
        let access = VaultAccess(global.values, context: context)
        let file = try access.open()
        guard try file.hasProfile(old) else { throw VaultError.profileNotFound(old) }
        guard try !file.hasProfile(new) else { throw OperationError.exists("profile '\(new)' already exists") }
        let vault = try access.unlock(file)
        try vault.renameProfile(old, to: new, now: access.context.now())
        access.context.output.info("renamed '\(old)' to '\(new)'")
    }
}
