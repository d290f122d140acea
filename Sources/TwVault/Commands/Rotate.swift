import ArgumentParser
import FoundationEssentials
import Vault
import VaultCrypto
import VaultOperations

struct Rotate: VaultCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rotate a credential: make the new one, verify it, then retire the old one.",
        discussion: """
            Without a flag: the API key if the profile has one, else the refresh token. API keys and \
            auth tokens are rotated with the profile's auth token; the vault holds a working credential \
            at every step, and an interrupted rotation is finished (or undone) by `rotate --resume` or \
            by the next rotate of that profile. The new client secret comes from a prompt, from \
            TWILIO_CLIENT_SECRET (--from-env) or from a TWILIO_CLIENT_SECRET=value line on stdin (--stdin).

            Examples:
              twvault rotate acme-prod --api-key
              twvault rotate acme-prod --auth-token
              twvault rotate acme-org                      # the refresh token
              TWILIO_CLIENT_SECRET=… twvault rotate acme-org --client-secret --from-env
              twvault rotate acme-prod --resume
            """)

    enum Credential: String, EnumerableFlag {
        case apiKey, authToken, refreshToken, clientSecret

        static func help(for value: Credential) -> ArgumentHelp? {
            switch value {
            case .apiKey: "Create a new API key, verify it, make it current, delete the old one."
            case .authToken: "Create a secondary auth token, verify it, promote it."
            case .refreshToken: "Exchange the refresh token for a new one."
            case .clientSecret: "Store a new OAuth client secret after checking it with the token endpoint."
            }
        }
    }

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The profile (default: $TWVAULT_PROFILE).", completion: CompletionKind.profileNames)
    var profile: String?
    @Flag(exclusivity: .exclusive)
    var credential: Credential?
    @Flag(help: "Only finish (or undo) an interrupted rotation of the profile.")
    var resume = false
    @Flag(help: "Read the new client secret from TWILIO_CLIENT_SECRET.")
    var fromEnv = false
    @Flag(help: "Read the new client secret from a TWILIO_CLIENT_SECRET=value line on stdin.")
    var stdin = false

    func validate() throws {
        guard !(fromEnv && stdin) else { throw ValidationError("--from-env and --stdin exclude each other") }
        guard !(fromEnv || stdin) || credential == .clientSecret else {
            throw ValidationError("--from-env and --stdin only supply a new secret for --client-secret")
        }
        guard !(resume && credential != nil) else {
            throw ValidationError(
                "--resume finishes whatever rotation was interrupted: give no credential flag with it")
        }
    }

    func run(in context: Context) async throws {
        let access = VaultAccess(global.values, context: context)
        let name = try ProfileArgument.resolve(profile, context: access.context)
        let vault = try access.openUnlocked()
        let record = try vault.profile(name)
        // Ask for a new secret before taking locks or talking to Twilio.
        let newClientSecret = credential == .clientSecret ? try readClientSecret(context: access.context) : nil

        // Two rotations of one profile (or a rotation and a token refresh) never overlap.
        let lock = try ProfileLock(vaultPath: vault.file.path, profile: name)
        defer { withExtendedLifetime(lock) {} }
        // Before any request: a rolled-back `rotation` record must not steer what is deleted.
        try vault.checkIntegrity()
        try await EphemeralKeys.cleanUpLeftovers(vault: vault, access: access)
        let run = RotationRun(name: name, vault: vault, access: access, holding: lock)

        var kind = credential ?? (record.apiKeySID != nil ? .apiKey : .refreshToken)
        if let state = try run.pending() {
            access.context.output.note(
                "resuming the \(state.kind.rawValue) rotation \(state.id) of '\(name)' at step \(state.step.rawValue)")
            let interrupted: Credential = state.kind == .apiKey ? .apiKey : .authToken
            switch try await run.resume(state) {
            case .completed(let message):
                access.context.output.info("finished an interrupted rotation: \(message)")
                // That rotation already produced the fresh credential asked for.
                if resume || interrupted == kind { return }
            case .rolledBack(let message, let startAgain):
                access.context.output.info(message)
                if resume {
                    guard startAgain else { return }
                    kind = interrupted
                }
            }
        } else if resume {
            access.context.output.info("profile '\(name)' has no unfinished rotation")
            return
        }

        let message: String
        switch kind {
        case .apiKey: message = try await APIKeyRotation(run).rotate()
        case .authToken: message = try await AuthTokenRotation(run).rotate()
        case .refreshToken: message = try await OAuthRotation(run).rotateRefreshToken()
        case .clientSecret:
            guard let newClientSecret else { throw OperationError.usage("no new client secret was given") }
            message = try await OAuthRotation(run).rotateClientSecret(newClientSecret)
        }
        access.context.output.info(message)
    }

    /// The new client secret, read like any secret: `--from-env`, `--stdin`, else a prompt.
    func readClientSecret(context: Context) throws -> String {
        let name = "TWILIO_CLIENT_SECRET"
        let value: String
        if fromEnv {
            guard let secret = context.env(name) else {
                throw OperationError.usage("--from-env: \(name) is not set")
            }
            value = secret
        } else if stdin {
            var found: String?
            for (key, secret, _) in try EnvInput.parse(try CredentialInput.readStandardInput(context.console)) {
                guard key == name else {
                    throw OperationError.malformedInput(
                        "stdin names \(Names.printable(key)); only \(name) is read here")
                }
                found = secret
            }
            guard let found else { throw OperationError.malformedInput("stdin holds no \(name)=… line") }
            value = found
        } else {
            let secret = try context.console.readSecret(
                prompt: "New OAuth client secret: ",
                noTerminal: OperationError.accessDenied(
                    "no terminal to ask for the new client secret: use --from-env or --stdin"))
            value = secret.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
        }
        try CredentialInput.checkSecret(value, name: name)
        return value
    }
}
