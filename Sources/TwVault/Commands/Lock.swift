import ArgumentParser
import Vault
import VaultOperations

struct Lock: VaultCommand {
    static let configuration = CommandConfiguration(
        commandName: "lock",
        abstract: "End every unlock of the vault.",
        discussion: """
            Every TWVAULT_SESSION handed out for this vault stops working at once; the unlocks of \
            other vaults go on. With --format, also prints the line that sets TWVAULT_SESSION to the \
            other vaults' unlocks it holds, or unsets it when there are none (the shell-init \
            function evaluates it).

            Examples:
              twvault lock
              eval "$(twvault lock --format sh)"
              twvault lock --format fish | source
            """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "Print the line that leaves the other vaults' unlocks in TWVAULT_SESSION, in this shell syntax.")
    var format: ShellFormat?

    func run(in context: Context) async throws {
        let access = VaultAccess(global.values, context: context)
        let file = try access.open()
        // Before the files go: an entry of the first layout is known to be this vault's by its file.
        let others = access.sessions.removing(vaultIDHex: file.vaultIDHex, from: access.context.env("TWVAULT_SESSION"))
        let ended = try SessionStore.endEveryUnlock(of: file, environment: access.context.environment)
        if let format {
            access.context.output.stdout(
                try ExportRendering.render([("TWVAULT_SESSION", others)], format: format.exportFormat))
        }
        access.context.output.info(ended == 1 ? "ended 1 unlock" : "ended \(ended) unlocks")
    }
}
