import ArgumentParser
import Vault
import VaultOperations

struct Remove: VaultCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove",
        abstract: "Delete a profile and everything stored for it.",
        discussion: """
            Asks for confirmation on a terminal; without one, --yes is required. The old ciphertext is \
            checkpointed out of the file. An interrupted rotation of the profile is finished (or undone) \
            and leftover ephemeral API keys are deleted at Twilio first; when Twilio cannot be reached, \
            nothing is removed (exit 75).

            Examples:
              twvault remove acme-old
              twvault remove acme-old --yes
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The profile to delete.", completion: CompletionKind.profileNames)
    var profile: String
    @Flag(help: "Do not ask for confirmation.")
    var yes = false

    func validate() throws {
        guard Names.isValidProfile(profile) else {
            throw ValidationError("invalid profile name '\(Names.printable(profile))'")
        }
    }

    func run(in context: Context) async throws {
        let access = VaultAccess(global.values, context: context)
        let file = try access.open()
        guard try file.hasProfile(profile) else { throw VaultError.profileNotFound(profile) }
        if !yes {
            guard
                let answer = access.context.console.confirm(
                    "Delete profile '\(profile)' and all its credentials? [y/N] ")
            else {
                throw OperationError.usage("no terminal to confirm on: pass --yes to delete '\(profile)'")
            }
            guard answer else {
                access.context.output.error("kept profile '\(profile)': nothing was removed")
                throw ProcessEnded(status: ExitStatus.failure.rawValue)
            }
        }
        let vault = try access.unlock(file)
        // An unfinished rotation or a leftover ephemeral key is settled at Twilio first (or the
        // removal refused): the records about to go are the only trace of those credentials.
        let lock = try await TwilioLeftovers.settle(
            profile: profile, vault: vault, access: access, purpose: .remove(profile))
        defer { withExtendedLifetime(lock) {} }
        try vault.removeProfile(profile)
        access.context.output.info("removed profile '\(profile)'")
    }
}
