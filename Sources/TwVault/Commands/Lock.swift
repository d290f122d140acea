import ArgumentParser
import Vault

struct Lock: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lock",
        abstract: "End every unlock of the vault.",
        discussion: """
            Every TWVAULT_SESSION handed out for this vault stops working at once.

            Example:
              twvault lock
            """)

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let access = VaultAccess(global)
        let file = try access.open()
        let ended = try SessionStore.endEveryUnlock(of: file, environment: access.context.environment)
        Output.info(ended == 1 ? "ended 1 unlock" : "ended \(ended) unlocks")
    }
}
