import Vault

/// One no-echo question for a secret that the given identifiers call for.
public struct SecretQuestion: Sendable, Equatable {
    /// What an empty answer means.
    public enum EmptyAnswer: Sendable, Equatable {
        /// Not allowed: the secret is needed (asked again, then refused).
        case refused
        /// The secret is left out: another credential makes the profile usable.
        case skips
        /// The stored secret stays.
        case keepsCurrent
    }

    public let variable: CredentialVariable
    public let emptyAnswer: EmptyAnswer

    public init(_ variable: CredentialVariable, emptyAnswer: EmptyAnswer) {
        self.variable = variable
        self.emptyAnswer = emptyAnswer
    }

    public var prompt: String {
        let title =
            switch variable {
            case .authToken: "Auth token"
            case .apiKeySecret: "API key secret"
            case .clientSecret: "OAuth client secret"
            default: variable.rawValue
            }
        return switch emptyAnswer {
        case .refused: "\(title): "
        case .skips: "\(title) (Enter to skip): "
        case .keepsCurrent: "\(title) (Enter to keep the current one): "
        }
    }
}

/// The terminal questions of `add` and `update`. They are asked only once the profile's
/// existence and the passphrase have been checked, so that nothing typed is lost to a refusal.
public enum SecretQuestions {
    /// How often a needed secret is asked for when the answer is empty.
    static let attempts = 3

    /// The questions for the identifiers in `input`; `existing` is the stored profile for
    /// `update`, nil for `add`.
    public static func questions(for input: ProfileInput, existing: ProfileRecord?) -> [SecretQuestion] {
        var questions: [SecretQuestion] = []
        if let account = input.accountSID {
            if account != existing?.accountSID {
                // A new account's token is needed unless another credential will make the profile
                // usable; a token the profile held belonged to the old account and must be replaced.
                let otherCredential = input.apiKeySID != nil || input.clientID != nil || existing?.clientID != nil
                let skippable = otherCredential && existing?.authToken == nil
                questions.append(SecretQuestion(.authToken, emptyAnswer: skippable ? .skips : .refused))
            } else {
                questions.append(
                    SecretQuestion(.authToken, emptyAnswer: existing?.authToken != nil ? .keepsCurrent : .skips))
            }
        }
        if let key = input.apiKeySID {
            let keeps = key == existing?.apiKeySID && existing?.apiKeySecret != nil
            questions.append(SecretQuestion(.apiKeySecret, emptyAnswer: keeps ? .keepsCurrent : .refused))
        }
        if let client = input.clientID {
            let keeps = client == existing?.clientID && existing?.clientSecret != nil
            questions.append(SecretQuestion(.clientSecret, emptyAnswer: keeps ? .keepsCurrent : .skips))
        }
        return questions
    }

    /// `input` as if every needed secret had been answered: for checking what can be checked
    /// before anything is typed.
    public static func assumingAnswers(_ questions: [SecretQuestion], to input: ProfileInput) -> ProfileInput {
        var input = input
        for question in questions where question.emptyAnswer == .refused && input[question.variable] == nil {
            input[question.variable] = "answer"
        }
        return input
    }

    /// Refuses at once when questions would have to be asked and stdin is not a terminal.
    public static func requireTerminal(_ console: any Console) throws {
        guard console.isTerminal(.standardInput) else { throw noTerminal }
    }

    static let noTerminal = OperationError.accessDenied("no terminal to ask for secrets: use --from-env or --stdin")

    /// Asks each question on the terminal and returns `input` with the answers.
    public static func ask(_ questions: [SecretQuestion], into input: ProfileInput, console: any Console) throws
        -> ProfileInput
    {
        var input = input
        for question in questions {
            var answer = ""
            for _ in 1...attempts {
                let secret = try console.readSecret(prompt: question.prompt, noTerminal: noTerminal)
                answer = secret.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
                if !answer.isEmpty || question.emptyAnswer != .refused { break }
            }
            if answer.isEmpty {
                guard question.emptyAnswer != .refused else {
                    throw OperationError.usage("\(question.variable.rawValue) must not be empty: nothing was changed")
                }
                continue
            }
            try ProfileInput.checkSecret(answer, name: question.variable.rawValue)
            input[question.variable] = answer
        }
        return input
    }
}
