import ArgumentParser

/// `import`: profiles from files other tools keep. Each source is a subcommand.
struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Store profiles from other tools' files.",
        discussion: """
            Examples:
              twvault import dotenv .env --profile acme-dev
            """,
        subcommands: [ImportDotenv.self])
}
