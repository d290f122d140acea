import ArgumentParser
import Foundation
import TerminalIO

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
            Token.self, Login.self, Rotate.self, Unlock.self, Lock.self, Passwd.self, Verify.self,
        ]
    )

    public init() {}
}

/// The process entry point: hardening, parsing, and one exit code per outcome.
public enum TwVaultMain {
    public static func main() async -> Never {
        ProcessHardening.apply()
        do {
            if let command = HotPath.parse(CommandLine.arguments.dropFirst()) {
                try await HotPath.run(command)
                await Transport.shutdown()
                exit(0)
            }
            var command = try Twvault.parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            await Transport.shutdown()
            exit(0)
        } catch {
            await Transport.shutdown()
            if let (code, message) = exitCodeAndMessage(for: error) {
                if let message { Output.error(message) }
                exit(code)
            }
            Twvault.exit(withError: error)
        }
    }
}
