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

    static var acceptedNames: [String] { CredentialVariable.allCases.map(\.rawValue) }

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
            for (name, value) in try EnvInput.parse(text) {
                if CredentialVariable.ignoredNames.contains(name) { continue }
                guard let variable = CredentialVariable(rawValue: name) else {
                    // A pasted secret can parse as a name (`abc=`): name it only when it looks like one.
                    let looksLikeName =
                        name.utf8.count <= 40 && name.hasPrefix("TW")
                        && name.utf8.allSatisfy { (65...90).contains($0) || (48...57).contains($0) || $0 == 95 }
                    let shown = looksLikeName ? "an unknown variable \(name)" : "an unknown variable"
                    throw OperationError.malformedInput(
                        "stdin names \(shown); accepted: \(acceptedNames.joined(separator: ", "))")
                }
                try input.merge(variable, value, from: "stdin")
            }
        case .terminal:
            break
        }
        try input.checkFormats()
        return input
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
    static func parse(_ text: String) throws -> [(String, String)] {
        do {
            return try EnvFileParser.parse(text).map { ($0.name, $0.stringValue) }
        } catch {
            throw OperationError.malformedInput("stdin: \(error.description)")
        }
    }
}
