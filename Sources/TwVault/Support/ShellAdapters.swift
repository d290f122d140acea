import ArgumentParser

/// Temporary until the shell module lands.
public enum ExportFormat: String, CaseIterable, Sendable, ExpressibleByArgument {
    case sh, fish, powershell, dotenv, json
}

enum ExportRendering {
    static func render(_ variables: [(name: String, value: String?)], format: ExportFormat) throws -> String {
        variables.map { name, value in
            if let value { return "export \(name)='\(value.replacingOccurrences(of: "'", with: "'\\''"))'\n" }
            return "unset \(name)\n"
        }.joined()
    }
}
