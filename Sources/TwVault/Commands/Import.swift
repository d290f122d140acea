import ArgumentParser

/// `import SOURCE …`: profiles from another tool's files, one subcommand per source.
struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Bring profiles in from another tool.",
        discussion: """
            Examples:
              twvault import twilio-cli --dry-run
              twvault import twilio-cli --prefix cli- --check --scrub
              twvault import dotenv .env --profile acme-dev
            """,
        subcommands: [ImportTwilioCLI.self, ImportDotenv.self])
}
