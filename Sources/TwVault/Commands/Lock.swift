import ArgumentParser
import Vault
import VaultOperations

struct Lock: VaultCommand {
    static let configuration = CommandConfiguration(
        commandName: "lock",
        abstract: "End every unlock of the vault.",
        discussion: """
            Every TWVAULT_SESSION handed out for this vault stops working at once.

            Example:
              twvault lock
            """)

    @OptionGroup var global: GlobalOptions

    func run(in context: Context) async throws {
        let access = VaultAccess(global.values, context: context)
        let file = try access.open()
        let ended = try SessionStore.endEveryUnlock(of: file, environment: access.context.environment)
        access.context.output.info(ended == 1 ? "ended 1 unlock" : "ended \(ended) unlocks")
    }
}
