import ArgumentParser
import Vault
import VaultOperations

struct Clone: VaultCommand {
    static let configuration = CommandConfiguration(
        commandName: "clone",
        abstract: "Make a vault from the team's git repository.",
        discussion: """
            Fetches the repository with the system git, checks every file against the sealed \
            manifest, opens it with your passphrase (a slot of the repository) and writes the vault \
            (--vault, or the default path). The URL is remembered for `twvault sync`, in the git \
            mirror beside the vault (VAULT.sync). An existing vault is never replaced (73).

            Examples:
              twvault clone git@github.com:acme/twvault-team.git
              twvault --vault ~/team.db clone /srv/git/team-vault.git
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: ArgumentHelp("The repository: a path, ssh or https URL.", valueName: "url"))
    var url: String

    func run(in context: Context) async throws {
        let access = VaultAccess(global.values, context: context)
        try RepositorySync.checkURL(url)
        let (vault, profiles) = try RepositorySync.clone(
            url: url, vaultPath: access.vaultPath, identityPath: access.identityPath, context: access.context,
            passphrase: { try access.passphrase(prompt: "Passphrase for the repository: ") })
        _ = vault
        access.context.output.info(
            "cloned \(RepositorySync.shown(url)) into \(access.displayPath): \(profiles) profile(s); run `twvault sync` to exchange changes"
        )
    }
}

struct Sync: VaultCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Exchange changes with the team's git repository.",
        discussion: """
            Fetches, checks everything pulled (a file swapped, rolled back or forged fails with 65 \
            and changes nothing), merges record by record, writes the vault in one transaction, \
            commits and pushes, again from the fetch when someone pushed first. A profile changed \
            on both sides keeps the later change; the other version stays as NAME.conflict-N, \
            named on stdout. --remote sets the repository (remembered); the first sync of a vault \
            needs it. Exit 75 when git or the network fails, 66 when the repository is missing.

            Examples:
              twvault sync --remote git@github.com:acme/twvault-team.git
              twvault sync
            """)

    @OptionGroup var global: GlobalOptions
    @Option(help: ArgumentHelp("The repository to sync with (remembered).", valueName: "url"))
    var remote: String?

    func run(in context: Context) async throws {
        let access = VaultAccess(global.values, context: context)
        if let remote { try RepositorySync.checkURL(remote) }
        let vault = try access.openUnlocked()
        let summary = try RepositorySync.sync(
            vault, vaultPath: access.vaultPath, url: remote, context: access.context)
        if summary.adoptedNewKey {
            access.context.output.info(
                "the repository was rekeyed (a member was removed): this vault now uses the new data key; unlock again"
            )
        }
        for conflict in summary.conflicts {
            access.context.output.stdout(
                "conflict: profile '\(Names.printable(conflict.profile))' changed on both sides; the later change is kept, the other as '\(Names.printable(conflict.copy))'\n"
            )
        }
        access.context.output.info(
            "synced \(access.displayPath) with \(RepositorySync.shown(summary.url)): \(summary.taken) change(s) taken, \(summary.sent) sent"
        )
    }
}
