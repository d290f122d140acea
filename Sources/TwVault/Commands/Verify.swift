import ArgumentParser
import Vault
import VaultOperations

struct Verify: VaultCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check every slot, record and the vault-wide integrity.",
        discussion: """
            Lists every failure on stderr and exits 65 if there is one, 0 otherwise.

            Example:
              twvault verify && echo intact
            """)

    @OptionGroup var global: GlobalOptions

    func run(in context: Context) async throws {
        let access = VaultAccess(global.values, context: context)
        let vault = try access.openUnlocked()
        let failures = vault.verify()
        guard failures.isEmpty else {
            for failure in failures { access.context.output.error(failure) }
            throw ProcessEnded(status: 65)
        }
        let count = try vault.file.profileNames().count
        access.context.output.info(
            "ok: \(try vault.file.slots().count) slot(s), \(count) profile(s), integrity verified")
    }
}
