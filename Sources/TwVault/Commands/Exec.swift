import ArgumentParser
import FoundationEssentials
import Vault
import VaultOperations

struct Exec: VaultCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec",
        abstract: "Run a command with a profile's environment.",
        discussion: """
            The command (default: $SHELL) replaces twvault (execve), so its exit status is the \
            command's. The child gets the profile's TWILIO_* and extra variables, loses those the profile \
            lacks (and the extra variables an inherited TWVAULT_VARS names), and never sees \
            TWVAULT_SESSION or TWVAULT_PASSPHRASE*.

            Examples:
              twvault exec acme-staging -- twilio api:core:messages:list
              twvault exec acme-prod -- env | grep TWILIO_
              TWVAULT_PROFILE=acme-prod twvault exec -- ./deploy.sh

            With --ephemeral-key, twvault creates an API key for this command alone (the profile needs \
            its auth token), runs the command as a child with TWILIO_API_KEY and TWILIO_API_SECRET set \
            to it (and no auth token, client secret or access token), forwards SIGINT, SIGTERM and \
            SIGHUP, deletes the key when the command ends, and exits with the command's status \
            (128 + N when signal N killed it). A key that could not be deleted is deleted by the next \
            export, exec or rotate.
              twvault exec acme-prod --ephemeral-key -- ./nightly-report.sh
            """)

    @OptionGroup var global: GlobalOptions
    @Flag(help: "Do not include or fetch an OAuth access token.")
    var noToken = false
    @Flag(help: "Give the command a fresh API key of its own, deleted when it ends.")
    var ephemeralKey = false
    @Argument(
        parsing: .captureForPassthrough,
        help: ArgumentHelp("PROFILE [--] [COMMAND [ARGS…]]", valueName: "profile-and-command"),
        completion: CompletionKind.execProfile)
    var words: [String] = []

    /// Splits `PROFILE [flags] [--] COMMAND…`.
    func split(context: Context) throws -> (
        profile: String, noToken: Bool, ephemeralKey: Bool, command: [String]
    ) {
        var rest = words[...]
        var profile: String?
        var noToken = self.noToken
        var ephemeralKey = self.ephemeralKey
        // The words are captured before ArgumentParser sees them: help is this command's.
        if let first = rest.first, first == "-h" || first == "--help" {
            throw CleanExit.helpRequest(self)
        }
        if let first = rest.first, first != "--" {
            profile = first
            rest = rest.dropFirst()
        }
        while let word = rest.first, word.hasPrefix("-") {
            rest = rest.dropFirst()
            if word == "--" { break }
            switch word {
            case "-h", "--help": throw CleanExit.helpRequest(self)
            case "--no-token": noToken = true
            case "--ephemeral-key": ephemeralKey = true
            default:
                throw OperationError.usage(
                    "unknown option '\(Names.printable(word))' for exec; put the command after --")
            }
        }
        return (try ProfileArgument.resolve(profile, context: context), noToken, ephemeralKey, Array(rest))
    }

    func run(in context: Context) async throws {
        let access = VaultAccess(global.values, context: context)
        let context = access.context
        let (name, noToken, ephemeralKey, command) = try split(context: context)
        let vault = try access.openUnlocked()
        let record = try vault.profile(name)
        let extra = ExtraVariables.environment(
            try vault.record(VariablesRecord.self, profile: name, kind: .variables),
            inherited: context.env(ExtraVariables.listName))
        if let warning = ExtraVariables.skippedWarning(extra.skipped, profile: name) { context.output.warn(warning) }
        try await EphemeralKeys.cleanUpLeftovers(vault: vault, access: access)
        if ephemeralKey {
            try await runWithEphemeralKey(
                name: name, record: record, extraVariables: extra.variables, command: command, vault: vault,
                access: access)
        }
        let token =
            noToken ? nil : try await AccessTokens.valid(for: name, record: record, vault: vault, access: access)
        let environment = ProfileEnvironment.childEnvironment(
            parent: context.environment,
            variables: ProfileEnvironment.variables(profile: name, record, accessToken: token) + extra.variables)
        let argv = command.isEmpty ? [context.env("SHELL") ?? "/bin/sh"] : command
        access.context.output.note("running \(argv[0]) with profile '\(name)'")
        // The HTTP client's sockets and event loop must not survive into the command.
        await access.context.http.shutdown()
        try access.context.processes.replace(argv, environment: environment)
    }

    /// Creates a key, runs the command as a child with it (and the profile's extra variables),
    /// deletes the key, and exits with the command's status.
    func runWithEphemeralKey(
        name: String, record: ProfileRecord, extraVariables: [(name: String, value: String?)], command: [String],
        vault: UnlockedVault, access: VaultAccess
    ) async throws -> Never {
        let context = access.context
        let argv = command.isEmpty ? [context.env("SHELL") ?? "/bin/sh"] : command
        // Fail on a missing command before a key is made for it.
        _ = try context.processes.resolve(argv[0], path: context.env("PATH") ?? "/usr/local/bin:/usr/bin:/bin")
        let issued = try await EphemeralKeys.issue(profile: name, record: record, vault: vault, access: access)
        // The key stands in for the profile's credentials: the command gets no other secret.
        var limited = record
        limited.authToken = nil
        limited.clientID = nil
        limited.clientSecret = nil
        limited.refreshToken = nil
        limited.apiKeySID = issued.key.sid
        limited.apiKeySecret = issued.key.secret
        let environment = ProfileEnvironment.childEnvironment(
            parent: context.environment,
            variables: ProfileEnvironment.variables(profile: name, limited, accessToken: nil) + extraVariables)
        access.context.output.note(
            "running \(argv[0]) with profile '\(name)' and the ephemeral API key \(issued.key.sid)")
        // No socket or event-loop descriptor of the HTTP client reaches the child; deleting the
        // key afterwards starts a new client.
        await context.http.shutdown()
        let status: Int32
        do {
            status = try context.processes.run(argv, environment: environment)
        } catch {
            await EphemeralKeys.retire(issued, profile: name, record: record, vault: vault, access: access)
            throw error
        }
        CrashPoint.reached(.ephemeralChildExit, access.context)
        await EphemeralKeys.retire(issued, profile: name, record: record, vault: vault, access: access)
        throw ProcessEnded(status: status)
    }
}
