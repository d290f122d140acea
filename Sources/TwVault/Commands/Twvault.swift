import ArgumentParser
import TerminalIO
import VaultOperations

#if canImport(Glibc)
    import Glibc
#endif

/// The root command.
public struct Twvault: AsyncParsableCommand {
    public static let version = "0.1.0"

    public static let configuration = CommandConfiguration(
        commandName: "twvault",
        abstract: "An encrypted vault for the credentials of many Twilio accounts.",
        discussion: """
            Secrets are never taken from command-line arguments: they come from a terminal prompt, \
            from TWILIO_* variables (--from-env) or from NAME=value lines on stdin (--stdin).

            Examples:
              twvault add acme-prod --account-sid AC… --api-key SK…
              eval "$(twvault unlock)"
              eval "$(twvault export acme-prod)"
              twvault exec acme-staging -- twilio api:core:messages:list
            """,
        version: version,
        subcommands: [
            Init.self, Add.self, List.self, Show.self, Remove.self, Rename.self, Export.self, Exec.self,
            Token.self, Login.self, Rotate.self, Unlock.self, Lock.self, Passwd.self, Verify.self, Status.self,
            Update.self, Copy.self, Import.self, Backup.self, ShellInit.self, Use.self, Completion.self,
            IdentityCommand.self, MemberCommand.self,
            Clone.self, Sync.self,
        ]
    )

    public init() {}
}

/// A command that runs in an explicit context. The entry point parses, then calls
/// `run(in:)` with the process's context, or a test's.
protocol VaultCommand: AsyncParsableCommand {
    func run(in context: Context) async throws
}

extension VaultCommand {
    func run() async throws {
        throw ContextPartMissing(part: "context", reason: "\(Self.self) was run without one")
    }
}

/// The process entry point: hardening, parsing, and one exit status per outcome.
///
/// `main` and `run` run on their caller's executor (the main thread for the program), as do the
/// hot path's `export` and `token` down to the vault: with a cached token nothing they do
/// suspends, so the concurrency runtime starts no thread (DESIGN §9). Commands that go through
/// ArgumentParser run as before, on the global executor.
public enum TwVaultMain {
    nonisolated(nonsending) public static func main() async -> Never {
        let hardening = ProcessHardening.apply()
        let status = await run(
            Array(CommandLine.arguments.dropFirst()), context: .live(childCoreLimit: hardening.originalCoreSoftLimit))
        exit(status)
    }

    /// Runs one command line (without the program name) in `context` and returns its exit
    /// status; everything it prints goes to the context's console.
    nonisolated(nonsending) public static func run(_ arguments: [String], context: Context) async -> Int32 {
        // Answered before ArgumentParser builds its command tree, which costs more than the answer.
        if arguments == ["--version"] {
            context.output.stdout(Twvault.version + "\n")
            return 0
        }
        let status: Int32
        do {
            let arguments = GlobalOptions.movedAfterSubcommand(arguments)
            if let command = HotPath.parse(arguments[...]) {
                try await HotPath.run(command, context: context)
            } else {
                let command = try Twvault.parseAsRoot(arguments)
                if let command = command as? any VaultCommand {
                    try await command.run(in: context)
                } else {
                    // Only ArgumentParser's own commands (help) are not VaultCommands.
                    var command = command
                    try command.run()
                }
            }
            status = 0
        } catch {
            status = report(error, context: context)
        }
        await context.http.shutdown()
        return status
    }

    /// Says what went wrong in one line on stderr (help and version on stdout) and returns the
    /// exit status for it.
    static func report(_ error: any Error, context: Context) -> Int32 {
        if let (status, message) = ExitStatus.of(error) {
            if let message { context.output.error(message) }
            return status
        }
        let code = Twvault.exitCode(for: error)
        if code == .success {
            // Help and --version.
            let text = Twvault.fullMessage(for: error)
            if !text.isEmpty { context.output.stdout(text + "\n") }
            return 0
        }
        // A parse error: one line, like every other error, with where to read more.
        var message = Twvault.message(for: error)
        if let newline = message.firstIndex(of: "\n") { message = String(message[..<newline]) }
        if message.hasPrefix("Error: ") { message.removeFirst("Error: ".count) }
        context.output.error("\(message) (see `twvault help`)")
        return code.rawValue == 0 ? ExitStatus.failure.rawValue : code.rawValue
    }
}
