import ArgumentParser
import Vault
import VaultOperations

struct Unlock: VaultCommand {
    static let configuration = CommandConfiguration(
        commandName: "unlock",
        abstract: "Unlock the vault for a while in this shell.",
        discussion: """
            Asks for the passphrase once and prints `export TWVAULT_SESSION='…'`; later commands in \
            that shell need no passphrase until the TTL ends (default 1h, at most 24h) or `twvault lock`. \
            TWVAULT_SESSION holds one unlock per vault: the unlocks of other vaults it already holds \
            are kept, an earlier one of this vault is replaced.

            Examples:
              eval "$(twvault unlock)"
              eval "$(twvault unlock --ttl 8h)"
              twvault unlock --format fish | source
            """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "How long the unlock lasts: 90s, 15m, 1h, 8h… (at most 24h).")
    var ttl: String = "1h"
    @Option(help: "The shell syntax of the line printed (default: that of the shell running twvault).")
    var format: ShellFormat?

    func validate() throws {
        guard let seconds = Durations.seconds(ttl), seconds > 0, seconds <= SessionStore.maximumTTL else {
            throw ValidationError("--ttl must be a duration between 1s and 24h, like 90s, 15m or 8h")
        }
    }

    func run(in context: Context) async throws {
        let access = VaultAccess(global.values, context: context)
        // Proving the passphrase again: a session must not be able to extend itself.
        let vault = try access.openUnlocked(allowSession: false)
        let seconds = Durations.seconds(ttl) ?? 3600
        let token = try access.sessions.create(for: vault, ttl: seconds, now: access.context.now())
        let value = access.sessions.adding(
            token, vaultIDHex: vault.file.vaultIDHex, to: access.context.env("TWVAULT_SESSION"))
        access.context.output.stdout(
            try ExportRendering.render(
                [("TWVAULT_SESSION", value)], format: format?.exportFormat ?? .ofParentShell(context)))
        if access.context.stdoutIsTerminal {
            access.context.output.warn("run it as: eval \"$(twvault unlock)\" so the session reaches your shell")
        }
        access.context.output.note("unlocked for \(Durations.describe(seconds))")
    }
}
