import ArgumentParser
import ShellSyntax

extension ExportFormat: ExpressibleByArgument {}

/// The command layer's view of the renderer: export errors become exit 65 with the message
/// naming the variable (never the value).
enum ExportRendering {
    static func render(_ variables: [(name: String, value: String?)], format: ExportFormat) throws -> String {
        do {
            return try ExportRenderer.render(variables, as: format)
        } catch {
            throw CLIError.malformedInput(error.description)
        }
    }
}
