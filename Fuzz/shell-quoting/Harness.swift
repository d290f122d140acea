import Foundation
import FuzzSupport

@testable import ShellSyntax

// libFuzzer harness: ShellQuoting.posix and .fish (Sources/ShellSyntax). Oracle: a real
// shell evaluates the quoted word and prints the variable back, byte for byte (bash for
// posix, fish for fish; every so often, since each costs a process). Every input is also
// checked without a shell: the posix word is a sequence of '…' runs and \' escapes that
// never puts two quotes in a row inside a run.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzShellQuoting(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    // Values are Swift strings: invalid UTF-8 becomes U+FFFD, as it would in the vault.
    let value = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard !value.utf8.contains(0) else { return 0 } // no shell variable holds NUL; the renderer refuses it
    let posix = ShellQuoting.posix(value)
    precondition(unquotePOSIX(posix) == Array(value.utf8), "posix quoting does not read back")
    let fish = ShellQuoting.fish(value)
    if size <= 512 && ShellOracle.due() {
        let bash = ShellOracle.run("/bin/bash", ["-c", "eval \"V=$1\"; printf %s \"$V\"", "bash", posix])
        precondition(bash == Array(value.utf8), "bash reads the posix quoting of \(value.debugDescription) differently")
        let dash = ShellOracle.run("/bin/dash", ["-c", "eval \"V=$1\"; printf %s \"$V\"", "dash", posix])
        precondition(dash == Array(value.utf8), "dash reads the posix quoting of \(value.debugDescription) differently")
        if ShellOracle.counter % (ShellOracle.every * 4) == 0 {
            let fished = ShellOracle.run(
                "/usr/bin/fish", ["--no-config", "-c", "eval set -g V $argv[1]; printf %s \"$V\"", fish])
            precondition(
                fished == Array(value.utf8), "fish reads the fish quoting of \(value.debugDescription) differently")
        }
    }
    return 0
}

/// Reads a POSIX word made only of '…' runs and \' escapes, as sh would; traps on anything else.
private func unquotePOSIX(_ word: String) -> [UInt8] {
    let bytes = Array(word.utf8)
    var out: [UInt8] = []
    var index = 0
    while index < bytes.count {
        if bytes[index] == UInt8(ascii: "'") {
            guard let close = bytes[(index + 1)...].firstIndex(of: UInt8(ascii: "'")) else {
                preconditionFailure("unterminated quote in \(word.debugDescription)")
            }
            out += bytes[(index + 1)..<close]
            index = close + 1
            // zsh's RC_QUOTES reads '' inside a quoted run as a quote: never emit one.
            precondition(
                index >= bytes.count || bytes[index] != UInt8(ascii: "'"),
                "two quotes in a row in \(word.debugDescription)")
        } else if bytes[index] == UInt8(ascii: "\\"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "'") {
            out.append(UInt8(ascii: "'"))
            index += 2
        } else {
            preconditionFailure("unquoted byte in \(word.debugDescription)")
        }
    }
    return out
}
