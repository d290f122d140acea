import ArgumentParser
import ShellSyntax
import Vault
import VaultCrypto
import VaultOperations

#if canImport(Glibc)
    import Glibc
#endif

struct ImportDotenv: VaultCommand {
    static let configuration = CommandConfiguration(
        commandName: "dotenv",
        abstract: "Store a project's .env file as a profile.",
        discussion: """
            Reads FILE as python-dotenv does: comments, `export ` prefixes, single quotes (with \\' and \\\\ \
            escapes), double quotes (with \\n \\t \\\\ \\" and the other C escapes), unquoted values with \
            inline ` #` comments. TWILIO_* credentials (the names `export` prints) become the profile's \
            credentials; every other name becomes one of its extra variables, under the rules of \
            `twvault help add`. Empty values are skipped. A line that does not parse, or a value \
            python-dotenv would expand (${NAME}), is refused with its line number, and nothing is stored. \
            The credentials' ages are unknown until `twvault update NAME --check` asks Twilio. \
            An existing profile is refused unless --force, which replaces all of it (on a terminal, \
            after listing what would be lost and asking). The vault is created when missing.

            Examples:
              twvault import dotenv .env --profile acme-dev
              twvault import dotenv ../api/.env.production --profile acme-prod --force
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: ArgumentHelp("The .env file.", valueName: "file"), completion: .file())
    var file: String
    @Option(help: "The profile to store it as.", completion: CompletionKind.profileNames)
    var profile: String
    @Flag(help: "Replace an existing profile of that name, and everything it holds.")
    var force = false

    @OptionGroup var newPassphrase: NewPassphraseOptions

    /// A .env file larger than this is not a project's configuration.
    static let sizeLimit = 1 << 20

    func validate() throws {
        guard Names.isValidProfile(profile) else {
            throw ValidationError(
                "invalid profile name '\(Names.printable(profile))': use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
            )
        }
    }

    func run(in context: Context) async throws {
        let access = VaultAccess(global.values, context: context)
        let context = access.context
        let bytes = try Self.read(file)
        let (input, skipped) = try Self.input(from: bytes.withUnsafeBytes { Array($0) }, file: file)
        _ = try ProfileEditing.newRecord(input, now: 0)

        let path = access.vaultPath
        let vault: UnlockedVault
        var lock: ProfileLock?
        defer { withExtendedLifetime(lock) {} }
        if SecureFilesProbe.exists(path) {
            let vaultFile = try access.open()
            let exists = try vaultFile.hasProfile(profile)
            if exists, !force { throw VaultError.profileExists(profile) }
            vault = try access.unlock(vaultFile)
            if exists {
                try ProfileEditing.confirmReplacement(of: profile, vault: vault, context: context)
                // As `add --force`: what only the replaced records know of at Twilio (an
                // unfinished rotation, ephemeral keys) is settled first, under the profile's lock.
                let again = "twvault import dotenv \(Names.printable(file)) --profile \(profile) --force"
                lock = try await TwilioLeftovers.settle(
                    profile: profile, vault: vault, access: access, purpose: .replace(profile, by: again))
            }
        } else {
            let passphrase = try access.newPassphrase(file: newPassphrase.newPassphraseFile, allowCurrentChannel: true)
            vault = try VaultFile.create(
                path: path, passphrase: passphrase, limits: newPassphrase.kdf.limits, now: context.now())
            context.output.info("created vault \(path)")
        }
        // When the credentials in a .env file were made is unknown: their ages stay unknown
        // (not the time of the import) until `update --check` asks Twilio.
        var record = try ProfileEditing.newRecord(input, now: context.now())
        record.credentialTimes = [:]
        try ProfileEditing.store(
            profile, record, variables: input.extraVariables, replace: force, vault: vault, now: context.now())
        if !skipped.isEmpty {
            context.output.warn("skipped empty values: \(skipped.joined(separator: ", "))")
        }
        let extras = input.extraVariables.keys.sorted()
        context.output.info(
            "stored profile '\(profile)' (\(record.credentialKinds.joined(separator: ", ")))"
                + (extras.isEmpty ? "" : " with extra variables \(extras.joined(separator: ", "))"))
    }

    /// The file's bytes, kept in secret memory.
    static func read(_ path: String) throws -> SecretBytes {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            if errno == ENOENT { throw OperationError.notFound("cannot read \(Names.printable(path)): \(reason)") }
            throw OperationError.accessDenied("cannot read \(Names.printable(path)): \(reason)")
        }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0, status.st_mode & S_IFMT != S_IFDIR else {
            throw OperationError.usage("\(Names.printable(path)) is a directory, not a .env file")
        }
        return try SecretReader.readAll(fd: fd, what: Names.printable(path), limit: sizeLimit)
    }

    /// The profile input a .env file gives, and the names skipped for their empty values.
    /// Errors name the file, the line and the variable (when it is well formed), never a value.
    static func input(from bytes: [UInt8], file: String) throws -> (ProfileInput, skipped: [String]) {
        let source = Names.printable(file)
        let bindings: [DotenvBinding]
        do { bindings = try DotenvParser.parse(bytes) } catch {
            throw OperationError.malformedInput("\(source): \(error.description)")
        }
        // python-dotenv keeps the last binding of a name.
        var last: [String: Int] = [:]
        for (index, binding) in bindings.enumerated() { last[binding.name] = index }
        var input = ProfileInput()
        var skipped: [String] = []
        for (index, binding) in bindings.enumerated() where last[binding.name] == index {
            let name = binding.name
            let place = "\(source): line \(binding.line)"
            // Only a well-formed name is shown: anything else may be a pasted secret.
            let shown = ExtraVariables.isWellFormed(name) ? name : "the name"
            if CredentialVariable.ignoredNames.contains(name) { continue }
            guard let bytes = binding.value else {
                throw OperationError.malformedInput("\(place): \(shown) has no value (write NAME=value)")
            }
            if DotenvParser.interpolates(bytes) {
                throw OperationError.malformedInput(
                    "\(place): \(shown) uses ${…}, which python-dotenv expands and import does not: write the value out"
                )
            }
            let variable = CredentialVariable(rawValue: name)
            if variable == nil, let refusal = ExtraVariables.refusal(of: name) {
                throw OperationError.malformedInput("\(place): \(shown) \(refusal)")
            }
            guard !bytes.isEmpty else {
                skipped.append(name)
                continue
            }
            let value = String(decoding: bytes, as: UTF8.self)
            if variable?.isSecret ?? true {
                do { try ProfileInput.checkSecret(value, name: name) } catch {
                    throw OperationError.malformedInput("\(place): \(error)")
                }
            }
            if let variable { input[variable] = value } else { input.extraVariables[name] = value }
        }
        do { try input.checkFormats() } catch {
            throw OperationError.malformedInput("\(source): \(error)")
        }
        return (input, skipped)
    }
}
