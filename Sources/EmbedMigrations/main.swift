import Foundation

// Usage: EmbedMigrations OUTPUT.swift FILE.sql...
// Writes one Swift file that holds each SQL file's name and exact text.

let arguments = CommandLine.arguments.dropFirst()
guard let outputPath = arguments.first else {
    FileHandle.standardError.write(Data("usage: EmbedMigrations OUTPUT.swift FILE.sql...\n".utf8))
    exit(64)
}

/// A Swift string literal that reproduces `text` exactly.
func literal(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\\": out += "\\\\"
        case "\"": out += "\\\""
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case " "..."~": out.unicodeScalars.append(scalar)
        default: out += "\\u{\(String(scalar.value, radix: 16))}"
        }
    }
    return out + "\""
}

var source = "// Generated at build time from migrations/*.sql. Do not edit.\n\n"
source += "let embeddedMigrationFiles: [(name: String, sql: String)] = [\n"
for path in arguments.dropFirst().sorted() {
    let url = URL(fileURLWithPath: path)
    let text: String
    do {
        text = try String(contentsOf: url, encoding: .utf8)
    } catch {
        FileHandle.standardError.write(Data("EmbedMigrations: cannot read \(path): \(error)\n".utf8))
        exit(1)
    }
    source += "    (\(literal(url.lastPathComponent)), \(literal(text))),\n"
}
source += "]\n"

do {
    try Data(source.utf8).write(to: URL(fileURLWithPath: outputPath), options: .atomic)
} catch {
    FileHandle.standardError.write(Data("EmbedMigrations: cannot write \(outputPath): \(error)\n".utf8))
    exit(1)
}
