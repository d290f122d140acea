import TerminalIO
import VaultCrypto

#if canImport(Glibc)
    import Glibc
#endif

/// Prompts on the controlling terminal (never stdout), without echo, into wipeable memory.
enum TerminalInput {
    /// One secret line from the terminal, or `noTerminal` when there is none.
    static func readSecret(prompt: String, noTerminal: any Error) throws -> SecretBytes {
        do {
            var bytes = try SecretPrompt.read(prompt: prompt)
            defer { SecretPrompt.wipe(&bytes) }
            return SecretBytes(copying: bytes)
        } catch .noTerminal {
            throw noTerminal
        } catch {
            throw CLIError.accessDenied(error.description)
        }
    }

    /// A new secret, asked twice; the two must match.
    static func readNewSecret(prompt: String, confirm: String, noTerminal: any Error) throws -> SecretBytes {
        do {
            var bytes = try SecretPrompt.readNew(prompt: prompt, confirm: confirm)
            defer { SecretPrompt.wipe(&bytes) }
            return SecretBytes(copying: bytes)
        } catch .noTerminal {
            throw noTerminal
        } catch .confirmationMismatch {
            throw CLIError.usage("the two entries differ: nothing was changed")
        } catch {
            throw CLIError.accessDenied(error.description)
        }
    }

    /// A yes/no question on the terminal; `nil` when there is no terminal.
    static func confirm(_ question: String) -> Bool? {
        let fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        guard isatty(fd) == 1 else { return nil }
        _ = question.withCString { write(fd, $0, strlen($0)) }
        var answer = [UInt8](repeating: 0, count: 64)
        let count = answer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return false }
        let text = String(decoding: answer[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            .lowercased()
        return text == "y" || text == "yes"
    }
}
