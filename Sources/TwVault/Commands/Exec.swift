import ArgumentParser
import Foundation
import Vault

struct Exec: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec",
        abstract: "Run a command with a profile's environment.",
        discussion: """
            The command (default: $SHELL) replaces twvault (execve), so its exit status is the \
            command's. The child gets the profile's TWILIO_* variables, loses those the profile lacks, \
            and never sees TWVAULT_SESSION or TWVAULT_PASSPHRASE*.

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
        help: ArgumentHelp("PROFILE [--] [COMMAND [ARGS…]]", valueName: "profile-and-command"))
    var words: [String] = []

    /// Splits `PROFILE [flags] [--] COMMAND…`.
    func split(context: CommandContext) throws -> (
        profile: String, noToken: Bool, ephemeralKey: Bool, command: [String]
    ) {
        var rest = words[...]
        var profile: String?
        var noToken = self.noToken
        var ephemeralKey = self.ephemeralKey
        if let first = rest.first, first != "--" {
            profile = first
            rest = rest.dropFirst()
        }
        while let word = rest.first, word.hasPrefix("-") {
            rest = rest.dropFirst()
            if word == "--" { break }
            switch word {
            case "--no-token": noToken = true
            case "--ephemeral-key": ephemeralKey = true
            default:
                throw CLIError.usage("unknown option '\(Names.printable(word))' for exec; put the command after --")
            }
        }
        return (try ProfileArgument.resolve(profile, context: context), noToken, ephemeralKey, Array(rest))
    }

    func run() async throws {
        let access = VaultAccess(global)
        let context = access.context
        let (name, noToken, ephemeralKey, command) = try split(context: context)
        let vault = try access.openUnlocked()
        let record = try vault.profile(name)
        await EphemeralKeys.cleanUpLeftovers(vault: vault, access: access)
        if ephemeralKey {
            try await runWithEphemeralKey(name: name, record: record, command: command, vault: vault, access: access)
        }
        let token =
            noToken ? nil : try await AccessTokens.valid(for: name, record: record, vault: vault, access: access)
        let environment = ProfileEnvironment.childEnvironment(
            parent: context.environment,
            variables: ProfileEnvironment.variables(profile: name, record, accessToken: token))
        let argv = command.isEmpty ? [context.env("SHELL") ?? "/bin/sh"] : command
        Output.note("running \(argv[0]) with profile '\(name)'")
        try ProcessReplacement.execute(argv, environment: environment)
    }

    /// Creates a key, runs the command as a child with it, deletes the key, and exits with the
    /// command's status.
    func runWithEphemeralKey(
        name: String, record: ProfileRecord, command: [String], vault: UnlockedVault,
        access: VaultAccess
    ) async throws -> Never {
        let context = access.context
        let argv = command.isEmpty ? [context.env("SHELL") ?? "/bin/sh"] : command
        // Fail on a missing command before a key is made for it.
        _ = try ProcessReplacement.resolve(argv[0], path: context.env("PATH") ?? "/usr/local/bin:/usr/bin:/bin")
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
            variables: ProfileEnvironment.variables(profile: name, limited, accessToken: nil))
        Output.note("running \(argv[0]) with profile '\(name)' and the ephemeral API key \(issued.key.sid)")
        let status: Int32
        do {
            status = try ChildProcess.run(argv, environment: environment)
        } catch {
            await EphemeralKeys.retire(issued, profile: name, record: record, vault: vault, access: access)
            throw error
        }
        CrashPoint.reached("ephemeral-child-exit")
        await EphemeralKeys.retire(issued, profile: name, record: record, vault: vault, access: access)
        throw CLIError.exit(status)
    }
}

/// `execve` after a PATH search like a shell's: replaces this process with the command.
enum ProcessReplacement {
    static func execute(_ argv: [String], environment: [String: String]) throws -> Never {
        let program = try resolve(argv[0], path: environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin")
        let arguments = argv.map { strdup($0) } + [nil]
        let variables = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        arguments.withUnsafeBufferPointer { argvPointer in
            variables.withUnsafeBufferPointer { envPointer in
                _ = execve(program, argvPointer.baseAddress!, envPointer.baseAddress!)
            }
        }
        let code = errno
        for pointer in arguments { free(pointer) }
        for pointer in variables {
            if let pointer {
                memset(pointer, 0, strlen(pointer))
                free(pointer)
            }
        }
        let message = "cannot run \(Names.printable(argv[0])): \(String(cString: strerror(code)))"
        throw CLIError.cannotExecute(message, code: code == ENOENT ? 127 : 126)
    }

    /// The file a shell would run for `name`: itself when it holds a '/', else the first
    /// executable match in PATH (127 when there is none, 126 when only non-executable ones).
    static func resolve(_ name: String, path: String) throws -> String {
        guard !name.isEmpty else { throw CLIError.cannotExecute("cannot run an empty command name", code: 127) }
        if name.contains("/") { return name }
        var foundButNotExecutable = false
        for directory in path.split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = (directory.isEmpty ? "." : String(directory)) + "/" + name
            var info = stat()
            guard stat(candidate, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { continue }
            if access(candidate, X_OK) == 0 { return candidate }
            foundButNotExecutable = true
        }
        if foundButNotExecutable {
            throw CLIError.cannotExecute("cannot run \(Names.printable(name)): permission denied", code: 126)
        }
        throw CLIError.cannotExecute("\(Names.printable(name)): command not found", code: 127)
    }
}
