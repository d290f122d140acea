import ArgumentParser
import Vault
import VaultOperations

struct ImportTwilioCLI: VaultCommand {
    static let configuration = CommandConfiguration(
        commandName: "twilio-cli",
        abstract: "Import the profiles of twilio-cli's config.json.",
        discussion: """
            Reads $TWILIO_CONFIG_DIR/config.json, else ~/.twilio-cli/config.json. Each profile becomes \
            a twvault profile named PREFIX+ID with its account SID, API key and secret, region and edge; \
            legacy projects keep no secret in the file and are skipped. An existing profile is skipped \
            unless --force. One line per profile says what happened. The vault is created when missing.

            An imported key's age is unknown (the import time says nothing about it): --check asks \
            Twilio when each key was created (with the key itself, or the auth token where a Standard \
            key may not ask). --scrub, once every imported profile is stored and read back, rewrites \
            config.json (mode 0600, no copy kept) without their apiKey and apiSecret; twilio-cli then \
            runs through `twvault exec PROFILE -- twilio …`, which sets TWILIO_ACCOUNT_SID, \
            TWILIO_API_KEY and TWILIO_API_SECRET. --dry-run reads, decides and writes nothing, and \
            asks Twilio nothing.

            Examples:
              twvault import twilio-cli --dry-run
              twvault import twilio-cli --prefix cli- --check
              twvault import twilio-cli --scrub && twvault exec cli-default -- twilio profiles:list
            """)

    @OptionGroup var global: GlobalOptions
    @Option(
        help: ArgumentHelp("twilio-cli's config file (default: ~/.twilio-cli/config.json).", valueName: "path"),
        completion: .file())
    var config: String?
    @Option(help: ArgumentHelp("Put this before each profile id to make the twvault name.", valueName: "prefix"))
    var prefix = ""
    @Flag(help: "After storing, remove the imported profiles' apiKey and apiSecret from config.json.")
    var scrub = false
    @Flag(help: "Show what would be imported; write nothing.")
    var dryRun = false
    @Flag(help: "Replace existing profiles of the same names.")
    var force = false
    @Flag(help: "Ask Twilio when each API key was created, and keep that as its age.")
    var check = false
    @OptionGroup var newPassphrase: NewPassphraseOptions

    func run(in context: Context) async throws {
        let access = VaultAccess(global.values, context: context)
        var options = TwilioCLIImport.Options()
        options.configPath = config
        options.prefix = prefix
        options.force = force
        options.dryRun = dryRun
        options.check = check
        options.scrub = scrub
        options.newPassphraseFile = newPassphrase.newPassphraseFile
        options.kdfLimits = newPassphrase.kdf.limits
        let report = try await TwilioCLIImport(access: access, options: options).run()
        let output = access.context.output
        if report.createdVault { output.info("created vault \(access.vaultPath)") }
        output.stdout(report.entries.map { Self.line($0, dryRun: dryRun) + "\n" }.joined())
        for entry in report.entries {
            if case .failure(let failure)? = entry.checked, let name = entry.name {
                output.warn("the age of '\(name)' stays unknown: \(failure.reason)")
            }
        }
        if dryRun {
            output.info("dry run: nothing was written")
        } else if scrub {
            let names = report.entries.filter { report.scrubbed.contains($0.id) }.compactMap(\.name)
            guard let first = names.first else {
                output.info("nothing to scrub: \(report.configPath) was left as it is")
                return
            }
            output.stdout(
                """
                removed the API key and secret of \(names.count) profile(s) from \(report.configPath) (now mode 0600, no copy kept).
                twilio-cli reads TWILIO_ACCOUNT_SID, TWILIO_API_KEY and TWILIO_API_SECRET from the environment; run it as:
                  twvault exec \(first) -- twilio api:core:accounts:fetch

                """)
        }
    }

    /// One line for one entry of config.json; ids and names are escaped (they come from a file).
    static func line(_ entry: TwilioCLIImport.Entry, dryRun: Bool) -> String {
        let id = "'\(Names.printable(entry.id))'"
        let name = entry.name.map { "'\(Names.printable($0))'" } ?? "-"
        switch entry.outcome {
        case .imported(let replaced):
            var details = entry.record?.credentialKinds ?? []
            if let region = entry.record?.region { details.append("region \(region)") }
            if let edge = entry.record?.edge { details.append("edge \(edge)") }
            var notes = [details.joined(separator: ", ")]
            if !dryRun {
                switch entry.checked {
                case .success(let created)?: notes.append("API key created \(Timestamps.rfc3339(created))")
                case .failure?: notes.append("age unknown: the check failed")
                case nil: notes.append("age unknown")
                }
            }
            if entry.isActive { notes.append("twilio-cli's active profile") }
            let what =
                replaced
                ? "\(dryRun ? "would replace" : "replaced") \(name) with twilio-cli profile \(id)"
                : "\(dryRun ? "would import" : "imported") twilio-cli profile \(id) as \(name)"
            return "\(what) (\(notes.joined(separator: "; ")))"
        case .exists:
            return "skipped twilio-cli profile \(id): profile \(name) exists (--force replaces it)"
        case .alreadyHeld:
            return "skipped twilio-cli profile \(id): profile \(name) already holds its credentials"
        case .invalid(let reason):
            return "skipped twilio-cli profile \(id): \(Names.terminalSafe(reason))"
        case .legacyProject:
            return
                "skipped twilio-cli project \(id): a legacy project keeps no secret in config.json (add it with `twvault add`)"
        }
    }
}
