import FoundationEssentials
import ShellSyntax
import TwilioAuth
import VaultOperations

/// Reads what `add` and `update` were given — flags plus one source of values — into a
/// `ProfileInput` whose every value has the format DESIGN §2 asks for. Secrets asked for on
/// the terminal come later (`SecretQuestions`), once the vault is unlocked.
enum CredentialInput {
    struct Flags {
        var accountSID: String?
        var apiKeySID: String?
        var clientID: String?
        var region: String?
        var edge: String?
        var tokenURL: String?
        var scope: String?
        var audience: String?
    }

    enum Source {
        case environment([String: String])
        case stdin(any Console)
        /// Prompts on the terminal, for the secrets the identifier flags call for.
        case terminal

        var isTerminal: Bool {
            if case .terminal = self { return true }
            return false
        }
    }

    static func collect(flags: Flags, source: Source) throws -> ProfileInput {
        var input = ProfileInput()
        input.accountSID = flags.accountSID
        input.apiKeySID = flags.apiKeySID
        input.clientID = flags.clientID
        input.region = flags.region
        input.edge = flags.edge
        input.scope = flags.scope
        input.audience = flags.audience
        if let tokenURL = flags.tokenURL {
            // The same rule as every request: https, or http only to a loopback address.
            do {
                _ = try EndpointURL.validate(tokenURL)
            } catch {
                throw OperationError.usage("--token-url: \(error.description)")
            }
            input.tokenURL = tokenURL
        }

        switch source {
        case let .environment(environment):
            for variable in CredentialVariable.allCases {
                guard let value = environment[variable.rawValue], !value.isEmpty else { continue }
                try input.merge(variable, value, from: "the environment")
            }
        case let .stdin(console):
            let text = try readStandardInput(console)
            for (name, value, line) in try EnvInput.parse(text) {
                if CredentialVariable.ignoredNames.contains(name) { continue }
                if let variable = CredentialVariable(rawValue: name) {
                    try input.merge(variable, value, from: "stdin")
                } else {
                    try addExtraVariable(name, value, to: &input, at: "stdin: line \(line)")
                }
            }
        case .terminal:
            break
        }
        try input.checkFormats()
        return input
    }

    /// Adds an extra variable (DESIGN §11), refusing (65) a name twvault never sets; `place`
    /// says where it was read (`stdin: line 3`). A name that is not well formed is not shown:
    /// it may be a pasted secret.
    static func addExtraVariable(_ name: String, _ value: String, to input: inout ProfileInput, at place: String)
        throws
    {
        if let refusal = ExtraVariables.refusal(of: name) {
            let shown = ExtraVariables.isWellFormed(name) ? name : "the name"
            throw OperationError.malformedInput("\(place): \(shown) \(refusal)")
        }
        input.extraVariables[name] = value
    }

    /// Secret values: non-empty, at most 8 KiB, no NUL or newline.
    static func checkSecret(_ value: String, name: String) throws {
        try ProfileInput.checkSecret(value, name: name)
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
    static func parse(_ text: String) throws -> [(name: String, value: String, line: Int)] {
        do {
            return try EnvFileParser.parse(text).map { ($0.name, $0.stringValue, $0.line) }
        } catch {
            throw OperationError.malformedInput("stdin: \(error.description)")
        }
    }
}
