import Vault
import VaultCrypto

/// `import twilio-cli`: each profile of twilio-cli's config.json becomes a twvault profile.
///
/// Nothing is written before every decision is made; the profiles are stored in one
/// transaction and read back; only then, with `scrub`, does config.json lose their `apiKey`
/// and `apiSecret`. An imported credential's creation time is unknown (the import time says
/// nothing about the secret's age) until `check` asks Twilio for the key's `date_created`.
public struct TwilioCLIImport {
    public struct Options: Sendable {
        public var configPath: String?
        public var prefix = ""
        public var force = false
        public var dryRun = false
        public var check = false
        public var scrub = false
        public var newPassphraseFile: String?
        public var kdfLimits: KDFLimits = .moderate

        public init() {}
    }

    /// What became of one entry of config.json.
    public enum Outcome: Sendable, Equatable {
        /// Stored (or, with --dry-run, would be); `replaced` an existing profile (--force).
        case imported(replaced: Bool)
        /// A profile of that name exists (and --force was not given).
        case exists
        /// A profile of that name exists and holds the same credentials already.
        case alreadyHeld
        /// The entry cannot be imported; the reason never quotes a secret.
        case invalid(String)
        /// A legacy `projects` entry: no secret in the file.
        case legacyProject
    }

    public struct Entry: Sendable {
        /// The twilio-cli profile or project id.
        public var id: String
        /// The twvault profile name (nil when the entry has no usable one).
        public var name: String?
        public var outcome: Outcome
        /// twilio-cli's active profile.
        public var isActive = false
        /// The record stored, for imported entries.
        public var record: ProfileRecord?
        /// With --check: the key's creation time, or why it stays unknown.
        public var checked: Result<Int64, CheckFailure>?
    }

    public struct CheckFailure: Error, Sendable {
        public var reason: String
    }

    public struct Report: Sendable {
        public var configPath: String
        public var entries: [Entry]
        /// A vault was created for the import.
        public var createdVault = false
        /// The ids whose `apiKey`/`apiSecret` left config.json (empty without --scrub).
        public var scrubbed: [String] = []
    }

    let access: VaultAccess
    let options: Options

    public init(access: VaultAccess, options: Options) {
        self.access = access
        self.options = options
    }

    private var context: Context { access.context }

    public func run() async throws -> Report {
        let path = try TwilioCLIConfigFile.path(given: options.configPath, context: context)
        let file = try TwilioCLIConfigFile.read(path)
        let config = try TwilioCLIConfig.parse(file.bytes, path: path)
        if file.exposed {
            context.output.warn(
                "\(path) is readable by other users (mode \(String(file.mode, radix: 8))): treat the API secrets in it as exposed, rotate them at Twilio, and remove them from the file with --scrub"
            )
        }
        let now = context.now()
        var entries = Self.plan(config, prefix: options.prefix, now: now)
        var report = Report(configPath: path, entries: [])

        let vaultExists = SecureFilesProbe.exists(access.vaultPath)
        let names = Set(vaultExists ? try access.open().profileNames() : [])
        for index in entries.indices {
            guard case .imported = entries[index].outcome, let name = entries[index].name, names.contains(name) else {
                continue
            }
            entries[index].outcome = options.force ? .imported(replaced: true) : .exists
        }
        let importing = entries.contains { if case .imported = $0.outcome { true } else { false } }
        let mayScrubExisting = options.scrub && entries.contains { $0.outcome == .exists }
        guard !options.dryRun, importing || mayScrubExisting else {
            report.entries = entries
            return report
        }

        let vault: UnlockedVault
        if vaultExists {
            vault = try access.openUnlocked()
        } else {
            let passphrase = try access.newPassphrase(file: options.newPassphraseFile, allowCurrentChannel: true)
            vault = try VaultFile.create(
                path: access.vaultPath, passphrase: passphrase, limits: options.kdfLimits, now: now)
            report.createdVault = true
        }
        try settleExisting(&entries, vault: vault)
        try confirmReplacements(entries, vault: vault)
        if options.check { await checkAges(&entries) }
        try store(entries, vault: vault, now: now)

        report.entries = entries
        if options.scrub {
            let ids = entries.filter {
                switch $0.outcome {
                case .imported, .alreadyHeld: true
                default: false
                }
            }.map(\.id)
            if !ids.isEmpty {
                try TwilioCLIConfigFile.replace(path, expected: file.bytes, with: config.scrubbed(Set(ids)))
                report.scrubbed = ids
            }
        }
        return report
    }

    // MARK: Deciding

    /// Each profile as it would be imported, before the vault is looked at; legacy projects
    /// after them.
    static func plan(_ config: TwilioCLIConfig, prefix: String, now: Int64) -> [Entry] {
        var entries = config.profiles.map { profile -> Entry in
            let name = prefix + profile.id
            var entry = Entry(id: profile.id, name: name, outcome: .imported(replaced: false))
            entry.isActive = profile.id == config.activeProfile
            do {
                entry.record = try record(for: profile, name: name, defaultEdge: config.edge, now: now)
            } catch {
                entry.name = Names.isValidProfile(name) ? name : nil
                entry.outcome = .invalid(String(describing: error))
            }
            return entry
        }
        entries += config.legacyProjects.map { Entry(id: $0, name: nil, outcome: .legacyProject) }
        return entries
    }

    /// The record for one profile: its API key (or, where `apiKey` is the account SID, as
    /// twilio-cli writes an auth token, the auth token), region and edge, checked as `add`
    /// checks input. No credential time: it is unknown.
    static func record(for profile: TwilioCLIConfig.Profile, name: String, defaultEdge: String?, now: Int64) throws
        -> ProfileRecord
    {
        if let problem = profile.problem { throw OperationError.malformedInput(problem) }
        guard Names.isValidProfile(name) else {
            throw OperationError.usage(
                "'\(Names.printable(name))' is not a valid profile name (1-64 letters, digits, '.', '_' or '-', starting with a letter or digit); choose another --prefix"
            )
        }
        guard let account = profile.accountSID else { throw OperationError.usage("it has no accountSid") }
        guard let key = profile.apiKey, let secret = profile.apiSecret else {
            throw OperationError.usage(
                "it has no apiKey and apiSecret in config.json (older twilio-cli versions kept them in the system keychain): add it with `twvault add \(name) --account-sid AC… --api-key SK…`"
            )
        }
        var input = ProfileInput()
        input.accountSID = account
        if key == account {
            input.authToken = secret
        } else {
            input.apiKeySID = key
            input.apiKeySecret = secret
        }
        input.region = profile.region
        input.edge = profile.edge ?? defaultEdge
        do { try input.checkFormats() } catch let error as OperationError {
            // The messages name the variable; in config.json the field is what the user sees.
            throw OperationError.usage(
                error.description.replacing("TWILIO_API_SECRET", with: "apiSecret")
                    .replacing("TWILIO_AUTH_TOKEN", with: "apiSecret").replacing("TWILIO_REGION", with: "region")
                    .replacing("TWILIO_EDGE", with: "edge"))
        }
        var record = try ProfileEditing.newRecord(input, now: now)
        record.credentialTimes = [:]
        return record
    }

    /// Existing names: with --force, a profile with a rotation or ephemeral keys under way is
    /// not replaced; without it, one that holds the same credentials is noted as such.
    private func settleExisting(_ entries: inout [Entry], vault: UnlockedVault) throws {
        for index in entries.indices {
            guard let name = entries[index].name, let record = entries[index].record else { continue }
            switch entries[index].outcome {
            case .imported(replaced: true):
                do { try ProfileEditing.refuseReplacingWorkInProgress(name, vault: vault) } catch let error
                    as OperationError
                {
                    entries[index].outcome = .invalid(error.description)
                }
            case .exists:
                let stored = try vault.profile(name)
                if stored.accountSID == record.accountSID, stored.apiKeySID == record.apiKeySID,
                    stored.apiKeySecret == record.apiKeySecret,
                    record.authToken == nil || stored.authToken == record.authToken
                {
                    entries[index].outcome = .alreadyHeld
                }
            default:
                break
            }
        }
    }

    /// On a terminal, --force asks once before replacing profiles; no answer or "no" ends the
    /// command (1) with nothing changed. Scripts asked for the replacement.
    private func confirmReplacements(_ entries: [Entry], vault: UnlockedVault) throws {
        let replaced = entries.filter { $0.outcome == .imported(replaced: true) }.compactMap(\.name)
        guard !replaced.isEmpty, context.stdinIsTerminal else { return }
        let question =
            "Replace \(replaced.count == 1 ? "profile" : "profiles") \(replaced.map { "'\($0)'" }.joined(separator: ", ")) and everything \(replaced.count == 1 ? "it holds" : "they hold") with twilio-cli's? [y/N] "
        guard context.console.confirm(question) == true else {
            context.output.error("nothing was imported: no profile was replaced")
            throw ProcessEnded(status: ExitStatus.failure.rawValue)
        }
    }

    /// --check: each imported API key's `date_created` becomes its time; a failure leaves it
    /// unknown and is reported with the entry.
    private func checkAges(_ entries: inout [Entry]) async {
        for index in entries.indices {
            guard case .imported = entries[index].outcome, let name = entries[index].name,
                var record = entries[index].record, record.apiKeySID != nil
            else { continue }
            do {
                let created = try await CredentialAges.apiKeyCreation(of: record, profile: name, context: context)
                record.credentialTimes[CredentialKind.apiKey.rawValue] = created
                entries[index].record = record
                entries[index].checked = .success(created)
            } catch {
                entries[index].checked = .failure(CheckFailure(reason: String(describing: error)))
            }
        }
    }

    /// Stores every imported profile in one transaction, then reads each back.
    private func store(_ entries: [Entry], vault: UnlockedVault, now: Int64) throws {
        let imported = entries.filter { if case .imported = $0.outcome { true } else { false } }
        guard !imported.isEmpty else { return }
        try ProfileEditing.writing(vault) { transaction in
            for entry in imported {
                guard let name = entry.name, let record = entry.record else { continue }
                if entry.outcome == .imported(replaced: true) { try transaction.delete(profile: name) }
                try transaction.put(record, profile: name, kind: .profile, now: now)
            }
        }
        if imported.contains(where: { $0.outcome == .imported(replaced: true) }) { vault.file.checkpoint() }
        for entry in imported {
            guard let name = entry.name, let record = entry.record else { continue }
            guard try vault.profile(name) == record else {
                throw VaultError.corrupt(
                    "profile '\(name)' does not read back as it was stored; config.json was left as it is")
            }
        }
    }
}
