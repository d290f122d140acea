import VaultCrypto

/// Prompts on the controlling terminal (never stdout), without echo.
enum TerminalInput {
    /// One secret line from the terminal, or `noTerminal` when there is none.
    static func readSecret(prompt: String, noTerminal: any Error) throws -> SecretBytes {
        throw noTerminal
    }

    /// A new secret, asked twice; the two must match.
    static func readNewSecret(prompt: String, confirm: String, noTerminal: any Error) throws -> SecretBytes {
        throw noTerminal
    }

    /// A yes/no question on the terminal; `nil` when there is no terminal.
    static func confirm(_ question: String) -> Bool? {
        nil
    }
}
