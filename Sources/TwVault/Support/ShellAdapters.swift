import ArgumentParser
import ShellSyntax
import VaultOperations

extension ExportFormat: ExpressibleByArgument {
    /// The format of the shell that runs twvault when no `--format` is given: fish and
    /// PowerShell get their own (`twvault export p | source` works in fish), everything else sh.
    static func ofParentShell(_ context: Context) -> ExportFormat {
        switch context.parentProcessName() {
        case "fish": .fish
        case "pwsh", "powershell": .powershell
        default: .sh
        }
    }
}

/// The formats a shell evaluates: what `unlock` prints.
enum ShellFormat: String, ExpressibleByArgument, CaseIterable {
    case sh, fish, powershell

    var exportFormat: ExportFormat {
        switch self {
        case .sh: .sh
        case .fish: .fish
        case .powershell: .powershell
        }
    }
}

/// The command layer's view of the renderer: export errors become exit 65 with the message
/// naming the variable (never the value).
enum ExportRendering {
    static func render(_ variables: [(name: String, value: String?)], format: ExportFormat) throws -> String {
        do {
            return try ExportRenderer.render(variables, as: format)
        } catch {
            throw OperationError.malformedInput(error.description)
        }
    }
}
