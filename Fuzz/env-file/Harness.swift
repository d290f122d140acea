import Foundation
import FuzzSupport
import ShellSyntax

// libFuzzer harness: EnvFileParser.parse, the `add --stdin` parser (Sources/ShellSyntax).
//
// Properties checked:
// - the parser never traps;
// - every accepted value is valid UTF-8 without NUL or LF (what EnvAssignment promises);
// - re-rendering the accepted values with the sh renderer (and with dotenv, when it takes
//   them) and parsing again gives the same values;
// - every so often, and for short inputs, bash evaluating the input (after the CRLF
//   handling the parser documents) sets exactly the values the parser returned;
// - DotenvParser.parse (`import dotenv`) on the same input never traps, and every value it
//   accepts is UTF-8 without NUL.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEnvFile(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    checkDotenv(input)
    guard let assignments = try? EnvFileParser.parse(input) else { return 0 }
    for assignment in assignments {
        precondition(!assignment.value.contains(0) && !assignment.value.contains(10), "value holds NUL or LF")
        precondition(String(validating: assignment.value, as: UTF8.self) != nil, "value is not UTF-8")
    }
    // Renderers take upper-case names only; the names are not under test here.
    let variables: [ExportRenderer.Variable] = assignments.enumerated().map {
        ("V\($0.offset)", $0.element.stringValue)
    }
    for format in [ExportFormat.sh, .dotenv] {
        guard let text = try? ExportRenderer.render(variables, as: format) else {
            precondition(format == .dotenv, "the sh renderer refused a value the parser accepted")
            continue
        }
        let reparsed: [EnvAssignment]
        do { reparsed = try EnvFileParser.parse(Array(text.utf8)) } catch {
            preconditionFailure("\(format) output does not parse again: \(error)")
        }
        precondition(reparsed.map(\.value) == assignments.map(\.value), "\(format) round trip changed a value")
    }
    if size <= 256, assignments.allSatisfy({ !isBashSpecial($0.name) }), ShellOracle.due() {
        checkAgainstBash(input, assignments)
    }
    return 0
}

/// bash must read the accepted input as the parser did.
private func checkAgainstBash(_ input: [UInt8], _ assignments: [EnvAssignment]) {
    // The parser drops one CR before each LF and at the very end (CRLF files); bash does not.
    var script: [UInt8] = []
    for (index, byte) in input.enumerated() {
        let next = index + 1 < input.count ? input[index + 1] : 10
        if byte == 13 && next == 10 { continue }
        script.append(byte)
    }
    // Names the parser saw, printed NUL-separated; unset names print nothing.
    var printer = "\n"
    for assignment in assignments {
        printer += "printf '%s\\0' \"${\(assignment.name)-<unset>}\"\n"
    }
    guard let output = ShellOracle.run("/bin/bash", ["-c", "eval \"$(cat)\"" + printer], stdin: script) else {
        preconditionFailure(
            "bash refused input the parser accepted: \(String(decoding: input, as: UTF8.self).debugDescription)")
    }
    let values = output.split(separator: 0, omittingEmptySubsequences: false).dropLast().map(Array.init)
    precondition(
        values == assignments.map(\.value),
        "bash disagrees with the parser on \(String(decoding: input, as: UTF8.self).debugDescription)")
}

/// Variables bash computes, guards or reads itself: assigning them says nothing about quoting.
private func isBashSpecial(_ name: String) -> Bool {
    let special: Set<String> = [
        "_", "RANDOM", "SRANDOM", "SECONDS", "LINENO", "EPOCHSECONDS", "EPOCHREALTIME", "HISTCMD", "FUNCNAME",
        "GROUPS", "UID", "EUID", "PPID", "SHELLOPTS", "IFS", "PATH", "OPTIND", "OPTARG", "DIRSTACK", "PWD",
        "OLDPWD", "HOSTNAME", "MACHTYPE", "HOSTTYPE", "OSTYPE", "SHLVL", "PS4", "POSIXLY_CORRECT", "LC_ALL",
        "LC_CTYPE", "LANG", "HOME", "IGNOREEOF", "TMOUT", "PROMPT_COMMAND",
    ]
    return special.contains(name) || name.hasPrefix("BASH") || name.hasPrefix("COMP_") || name.hasPrefix("LC_")
}

/// The python-dotenv parser on the same bytes.
private func checkDotenv(_ input: [UInt8]) {
    guard let bindings = try? DotenvParser.parse(input) else { return }
    for binding in bindings {
        precondition(binding.line >= 1, "dotenv line numbers start at 1")
        guard let value = binding.value else { continue }
        precondition(!value.contains(0), "dotenv value holds NUL")
        precondition(String(validating: value, as: UTF8.self) != nil, "dotenv value is not UTF-8")
        _ = DotenvParser.interpolates(value)
    }
}
