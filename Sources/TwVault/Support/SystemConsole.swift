import SystemCalls
import TerminalIO
import VaultCrypto
import VaultOperations

#if canImport(Glibc)
    import Glibc
#endif

/// The process's own standard streams and controlling terminal (`/dev/tty`).
struct SystemConsole: Console {
    func write(_ text: String, to stream: StandardStream) {
        var text = text
        // A stream that cannot be written (a closed pipe) has no one left to tell.
        text.withUTF8 { buffer in _ = SystemCall.writeAll(stream.rawValue, UnsafeRawBufferPointer(buffer)) }
    }

    func isTerminal(_ stream: StandardStream) -> Bool { isatty(stream.rawValue) == 1 }

    func readStandardInput(limit: Int) throws -> [UInt8] {
        try SecretReader.readAll(fd: 0, what: "stdin", limit: limit).withUnsafeBytes { Array($0) }
    }

    /// A secret from the no-echo prompt on `/dev/tty`, in wipeable memory.
    func readSecret(prompt: String, noTerminal: any Error) throws -> SecretBytes {
        do {
            var bytes = try SecretPrompt.read(prompt: prompt)
            defer { SecretPrompt.wipe(&bytes) }
            return SecretBytes(copying: bytes)
        } catch .noTerminal {
            throw noTerminal
        } catch {
            throw OperationError.accessDenied(error.description)
        }
    }

    /// A new secret, typed twice; a mismatch changes nothing.
    func readNewSecret(prompt: String, confirm: String, noTerminal: any Error) throws -> SecretBytes {
        do {
            var bytes = try SecretPrompt.readNew(prompt: prompt, confirm: confirm)
            defer { SecretPrompt.wipe(&bytes) }
            return SecretBytes(copying: bytes)
        } catch .noTerminal {
            throw noTerminal
        } catch .confirmationMismatch {
            throw OperationError.usage("the two entries differ: nothing was changed")
        } catch {
            throw OperationError.accessDenied(error.description)
        }
    }

    /// Asks a yes/no question on `/dev/tty`; nil when there is no terminal.
    func confirm(_ question: String) -> Bool? {
        let fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        guard isatty(fd) == 1 else { return nil }
        _ = question.withCString { Glibc.write(fd, $0, strlen($0)) }
        var answer = [UInt8](repeating: 0, count: 64)
        let count = answer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return false }
        var text = String(decoding: answer[0..<count], as: UTF8.self).lowercased()
        while let last = text.last, last.isWhitespace { text.removeLast() }
        while let first = text.first, first.isWhitespace { text.removeFirst() }
        return text == "y" || text == "yes"
    }
}

extension Context {
    /// The context of this process: its environment, standard streams and terminal, the wall
    /// clock, a real HTTP client made on first use, and `execve`/`posix_spawn`.
    /// `childCoreLimit` is the user's soft core-file limit, given back to the commands it starts.
    static func live(childCoreLimit: UInt64?) -> Context {
        Context(
            environment: Context.processEnvironment(), console: SystemConsole(), clock: Context.systemClock,
            http: .live(), processes: SystemProcessLauncher(childCoreLimit: childCoreLimit),
            parentProcessName: Context.procParentName)
    }
}
