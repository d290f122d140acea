import ArgumentParser
import Vault

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check every slot, record and the vault-wide integrity.",
        discussion: """
            Lists every failure on stderr and exits 65 if there is one, 0 otherwise.

            Example:
              twvault verify && echo intact
            """)

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let access = VaultAccess(global)
        let vault = try access.openUnlocked()
        let failures = vault.verify()
        guard failures.isEmpty else {
            for failure in failures { Output.error(failure) }
            throw CLIError.exit(65)
        }
        let count = try vault.file.profileNames().count
        Output.info("ok: \(try vault.file.slots().count) slot(s), \(count) profile(s), integrity verified")
    }
}
