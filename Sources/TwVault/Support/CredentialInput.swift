import Foundation
import ShellSyntax
import TwilioAuth
import Vault
import VaultOperations

/// The identifiers and secrets for `add` (and `rotate --client-secret`), from flags plus one
/// source of secrets, validated as DESIGN §2 says.
struct CredentialInput {
    struct Flags {
        var accountSID: String?
        var apiKeySID: String?
        var clientID: String?
        var region: String?
        var edge: String?
    }

    enum Source {
        case environment([String: String])
        case stdin(any Console)
        /// Prompts on the console's terminal, when stdin is one.
        case terminal(any Console)
    }

    /// Names accepted from the environment or stdin, and where they go.
    static let acceptedNames = [
        "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_API_KEY", "TWILIO_API_SECRET", "TWILIO_CLIENT_ID",
        "TWILIO_CLIENT_SECRET", "TWILIO_REFRESH_TOKEN", "TWILIO_REGION", "TWILIO_EDGE",
    ]
    /// Names `export` prints that `add --stdin` ignores, so an export can be piped back in.
    static let ignoredNames = ["TWVAULT_PROFILE", "TWILIO_ACCESS_TOKEN"]
    static let secretNames: Set = [
        "TWILIO_AUTH_TOKEN", "TWILIO_API_SECRET", "TWILIO_CLIENT_SECRET", "TWILIO_REFRESH_TOKEN",
    ]

    var values: [String: String] = [:]
    var tokenURL: String?
    var scope: String?
    var audience: String?

    static func collect(flags: Flags, source: Source) throws -> CredentialInput {
        var input = CredentialInput()
        let flagValues: [(String, String?)] = [
            ("TWILIO_ACCOUNT_SID", flags.accountSID), ("TWILIO_API_KEY", flags.apiKeySID),
            ("TWILIO_CLIENT_ID", flags.clientID), ("TWILIO_REGION", flags.region), ("TWILIO_EDGE", flags.edge),
        ]
        for case let (name, value?) in flagValues { input.values[name] = value }

        switch source {
        case let .environment(environment):
            for name in acceptedNames {
                guard let value = environment[name], !value.isEmpty else { continue }
                try input.merge(name, value, from: "the environment")
            }
        case let .stdin(console):
            let text = try readStandardInput(console)
            for (name, value) in try EnvInput.parse(text) {
                if ignoredNames.contains(name) { continue }
                guard acceptedNames.contains(name) else {
                    // A pasted secret can parse as a name (`abc=`): name it only when it looks like one.
                    let looksLikeName =
                        name.utf8.count <= 40 && name.hasPrefix("TW")
                        && name.utf8.allSatisfy { (65...90).contains($0) || (48...57).contains($0) || $0 == 95 }
                    let shown = looksLikeName ? "an unknown variable \(name)" : "an unknown variable"
                    throw OperationError.malformedInput(
                        "stdin names \(shown); accepted: \(acceptedNames.joined(separator: ", "))")
                }
                try input.merge(name, value, from: "stdin")
            }
        case let .terminal(console):
            try input.prompt(console: console)
        }
        try input.validate()
        return input
    }

    /// Adds a value, refusing one that contradicts a flag.
    mutating func merge(_ name: String, _ value: String, from source: String) throws {
        if let existing = values[name], existing != value {
            throw OperationError.usage("\(name) from \(source) differs from the command-line flag")
        }
        values[name] = value
    }

    /// Asks on the terminal for the secrets the given identifiers call for.
    mutating func prompt(console: any Console) throws {
        var wanted: [(String, String, Bool)] = []
        if values["TWILIO_ACCOUNT_SID"] != nil {
            wanted.append(("TWILIO_AUTH_TOKEN", "Auth token (Enter to skip): ", values["TWILIO_API_KEY"] != nil))
        }
        if values["TWILIO_API_KEY"] != nil { wanted.append(("TWILIO_API_SECRET", "API key secret: ", false)) }
        if values["TWILIO_CLIENT_ID"] != nil {
            wanted.append(("TWILIO_CLIENT_SECRET", "OAuth client secret (Enter to skip): ", true))
        }
        guard !wanted.isEmpty else {
            throw OperationError.usage(
                "give --account-sid, --api-key or --client-id (with secrets prompted), or use --from-env or --stdin")
        }
        let noTerminal = OperationError.accessDenied("no terminal to ask for secrets: use --from-env or --stdin")
        guard console.isTerminal(.standardInput) else { throw noTerminal }
        for (name, prompt, optional) in wanted {
            let secret = try console.readSecret(prompt: prompt, noTerminal: noTerminal)
            let text = secret.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
            if text.isEmpty {
                if optional { continue }
                throw OperationError.usage("\(name) must not be empty")
            }
            values[name] = text
        }
    }

    func validate() throws {
        if let sid = values["TWILIO_ACCOUNT_SID"], !Names.isAccountSID(sid) {
            throw OperationError.usage("invalid account SID: expected AC followed by 32 hexadecimal digits")
        }
        if let key = values["TWILIO_API_KEY"], !Names.isAPIKeySID(key) {
            throw OperationError.usage("invalid API key SID: expected SK followed by 32 hexadecimal digits")
        }
        if let client = values["TWILIO_CLIENT_ID"], !Names.isClientID(client) {
            throw OperationError.usage("invalid OAuth client id: expected OQ followed by 32 letters or digits")
        }
        for name in ["TWILIO_REGION", "TWILIO_EDGE"] {
            if let value = values[name], !CredentialInput.isSimpleWord(value) {
                throw OperationError.usage("invalid \(name): use 1-32 lowercase letters, digits or '-'")
            }
        }
        for name in CredentialInput.secretNames {
            guard let value = values[name] else { continue }
            try CredentialInput.checkSecret(value, name: name)
        }
        if values["TWILIO_API_KEY"] != nil, values["TWILIO_API_SECRET"] == nil {
            throw OperationError.usage("an API key needs its secret (TWILIO_API_SECRET)")
        }
        if values["TWILIO_API_SECRET"] != nil, values["TWILIO_API_KEY"] == nil {
            throw OperationError.usage("TWILIO_API_SECRET needs its key SID (--api-key or TWILIO_API_KEY)")
        }
        if values["TWILIO_API_KEY"] != nil || values["TWILIO_AUTH_TOKEN"] != nil, values["TWILIO_ACCOUNT_SID"] == nil {
            throw OperationError.usage(
                "an auth token or API key needs the account SID (--account-sid or TWILIO_ACCOUNT_SID)")
        }
        if values["TWILIO_CLIENT_SECRET"] != nil || values["TWILIO_REFRESH_TOKEN"] != nil,
            values["TWILIO_CLIENT_ID"] == nil
        {
            throw OperationError.usage(
                "a client secret or refresh token needs the OAuth client id (--client-id or TWILIO_CLIENT_ID)")
        }
        let usable =
            (values["TWILIO_ACCOUNT_SID"] != nil
                && (values["TWILIO_AUTH_TOKEN"] != nil || values["TWILIO_API_SECRET"] != nil))
            || values["TWILIO_CLIENT_ID"] != nil
        guard usable else {
            throw OperationError.usage(
                "the profile has no usable credentials: give an auth token, an API key and secret, or an OAuth client")
        }
    }

    /// Secret values: non-empty, at most 8 KiB, no NUL or newline.
    static func checkSecret(_ value: String, name: String) throws {
        guard !value.isEmpty else { throw OperationError.usage("\(name) must not be empty") }
        guard value.utf8.count <= 8192 else { throw OperationError.usage("\(name) is longer than 8 KiB") }
        guard !value.utf8.contains(0), !value.utf8.contains(10), !value.utf8.contains(13) else {
            throw OperationError.usage("\(name) must not contain NUL, carriage return or newline characters")
        }
    }

    static func isSimpleWord(_ value: String) -> Bool {
        let bytes = Array(value.utf8)
        return (1...32).contains(bytes.count)
            && bytes.allSatisfy {
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "-")
            }
    }

    func makeRecord(now: Int64) throws -> ProfileRecord {
        var record = ProfileRecord(createdAt: now)
        record.accountSID = values["TWILIO_ACCOUNT_SID"]
        record.authToken = values["TWILIO_AUTH_TOKEN"]
        record.apiKeySID = values["TWILIO_API_KEY"]
        record.apiKeySecret = values["TWILIO_API_SECRET"]
        record.clientID = values["TWILIO_CLIENT_ID"]
        record.clientSecret = values["TWILIO_CLIENT_SECRET"]
        record.refreshToken = values["TWILIO_REFRESH_TOKEN"]
        record.region = values["TWILIO_REGION"]
        record.edge = values["TWILIO_EDGE"]
        if let tokenURL {
            // The same rule as every request: https, or http only to a loopback address.
            do {
                _ = try EndpointURL.validate(tokenURL)
            } catch {
                throw OperationError.usage("--token-url: \(error.description)")
            }
            record.tokenURL = tokenURL
        }
        record.scope = scope
        record.audience = audience
        for (name, key) in [
            ("TWILIO_AUTH_TOKEN", "auth_token"), ("TWILIO_API_SECRET", "api_key"),
            ("TWILIO_CLIENT_SECRET", "client_secret"), ("TWILIO_REFRESH_TOKEN", "refresh_token"),
        ]
        where values[name] != nil {
            record.credentialTimes[key] = now
        }
        return record
    }

    static func readStandardInput(_ console: any Console) throws -> String {
        let bytes = try console.readStandardInput(limit: SecretReader.limit)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw OperationError.malformedInput("stdin is not valid UTF-8")
        }
        return text
    }
}

/// Parses `NAME=value` lines with the shell module's parser; errors name the line and the
/// variable, never the value.
enum EnvInput {
    static func parse(_ text: String) throws -> [(String, String)] {
        do {
            return try EnvFileParser.parse(text).map { ($0.name, $0.stringValue) }
        } catch {
            throw OperationError.malformedInput("stdin: \(error.description)")
        }
    }
}
