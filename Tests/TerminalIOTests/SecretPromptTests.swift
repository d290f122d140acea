import Foundation
import Glibc
import Testing

@testable import TerminalIO

/// Drives `SecretPrompt` on a real pseudo-terminal: the test plays the user at the
/// master side and checks what the terminal showed.
@Suite("SecretPrompt on a pseudo-terminal", .serialized)
struct SecretPromptTests {
    final class PseudoTerminal {
        let master: Int32
        let slavePath: String
        /// Held open so the terminal keeps its settings between opens, and for checks.
        let slave: Int32

        init() throws {
            var master: Int32 = -1
            var slave: Int32 = -1
            try #require(systemOpenpty(&master, &slave, nil, nil, nil) == 0)
            self.master = master
            self.slave = slave
            slavePath = String(cString: try #require(ttyname(slave)))
        }

        deinit {
            close(slave)
            close(master)
        }

        /// Reads what the terminal displayed until `marker` appears or 5 s pass.
        func readUntil(_ marker: String) -> String {
            var shown: [UInt8] = []
            let deadline = Date().addingTimeInterval(5)
            while !String(decoding: shown, as: UTF8.self).contains(marker), Date() < deadline {
                shown += readAvailable(timeoutMilliseconds: 100)
            }
            return String(decoding: shown, as: UTF8.self)
        }

        func readAvailable(timeoutMilliseconds: Int32) -> [UInt8] {
            var descriptor = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, timeoutMilliseconds) == 1 else { return [] }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = read(master, &buffer, buffer.count)
            return count > 0 ? Array(buffer[0..<count]) : []
        }

        func type(_ text: String) {
            _ = Array(text.utf8).withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
        }

        var echoIsOn: Bool {
            var settings = termios()
            tcgetattr(slave, &settings)
            return settings.c_lflag & tcflag_t(ECHO) != 0
        }
    }

    final class Outcome: @unchecked Sendable {
        var result: Result<[UInt8], TerminalError>?
        let done = DispatchSemaphore(value: 0)
    }

    static func inBackground(_ body: @escaping @Sendable () throws(TerminalError) -> [UInt8]) -> Outcome {
        let outcome = Outcome()
        let thread = Thread {
            do throws(TerminalError) { outcome.result = .success(try body()) } catch {
                outcome.result = .failure(error)
            }
            outcome.done.signal()
        }
        thread.start()
        return outcome
    }

    @Test("reads a line without echo, prompts on the terminal and restores the settings")
    func readsWithoutEcho() throws {
        let terminal = try PseudoTerminal()
        #expect(terminal.echoIsOn)
        let path = terminal.slavePath
        let outcome = Self.inBackground { () throws(TerminalError) in
            try SecretPrompt.read(prompt: "Passphrase: ", device: path)
        }
        let prompt = terminal.readUntil("Passphrase: ")
        #expect(prompt == "Passphrase: ")
        #expect(!terminal.echoIsOn)
        terminal.type("hunter2 \u{2019}x\n")
        #expect(outcome.done.wait(timeout: .now() + 5) == .success)
        #expect(try outcome.result?.get() == Array("hunter2 \u{2019}x".utf8))
        let shown = String(decoding: terminal.readAvailable(timeoutMilliseconds: 200), as: UTF8.self)
        #expect(!shown.contains("hunter2"))
        #expect(shown.contains("\n"), "ECHONL shows the end of the line")
        #expect(terminal.echoIsOn)
    }

    @Test("readNew returns the secret when both entries match and refuses when they differ")
    func readNew() throws {
        let terminal = try PseudoTerminal()
        let path = terminal.slavePath
        for (second, expected) in [
            ("same", Result<[UInt8], TerminalError>.success(Array("same".utf8))),
            ("other", .failure(.confirmationMismatch)),
        ] {
            let outcome = Self.inBackground { () throws(TerminalError) in
                try SecretPrompt.readNew(prompt: "New: ", confirm: "Again: ", device: path)
            }
            _ = terminal.readUntil("New: ")
            terminal.type("same\n")
            _ = terminal.readUntil("Again: ")
            terminal.type(second + "\n")
            #expect(outcome.done.wait(timeout: .now() + 5) == .success)
            #expect(outcome.result == expected)
            #expect(terminal.echoIsOn)
        }
    }

    @Test("end of input before any text is an error, and settings are restored")
    func endOfInput() throws {
        let terminal = try PseudoTerminal()
        let path = terminal.slavePath
        let outcome = Self.inBackground { () throws(TerminalError) in try SecretPrompt.read(prompt: "P: ", device: path)
        }
        _ = terminal.readUntil("P: ")
        terminal.type("\u{4}")
        #expect(outcome.done.wait(timeout: .now() + 5) == .success)
        #expect(outcome.result == .failure(.endOfInput))
        #expect(terminal.echoIsOn)
    }

    @Test("no terminal is reported at once", arguments: ["/nonexistent/tty", "/dev/null"])
    func noTerminal(_ device: String) {
        #expect(throws: TerminalError.noTerminal) { _ = try SecretPrompt.read(prompt: "P: ", device: device) }
    }

    @Test("wipe zeroes the bytes")
    func wipe() {
        var secret = Array("secret".utf8)
        SecretPrompt.wipe(&secret)
        #expect(secret == [0, 0, 0, 0, 0, 0])
    }

    @Test("the isatty helpers answer without failing")
    func streams() {
        #expect(StandardStreams.isTerminal(-1) == false)
        _ = StandardStreams.inputIsTerminal
        _ = StandardStreams.outputIsTerminal
        _ = StandardStreams.errorIsTerminal
    }
}

/// glibc's `openpty` (libc since 2.34), declared in `<pty.h>`, which the Glibc module does not import.
@_silgen_name("openpty")
private func systemOpenpty(
    _ master: UnsafeMutablePointer<Int32>, _ slave: UnsafeMutablePointer<Int32>, _ name: UnsafeMutablePointer<CChar>?,
    _ settings: UnsafeRawPointer?, _ size: UnsafeRawPointer?
) -> Int32
