/// The syntaxes `export` (and `unlock`) can print an environment in.
///
/// The raw values are the spellings accepted by `--format`; the command layer adds the
/// `ExpressibleByArgument` conformance so this module needs no ArgumentParser import.
public enum ExportFormat: String, CaseIterable, Sendable {
    /// POSIX shells (bash, dash, zsh, ksh): `export NAME='…'` and `unset NAME`.
    case sh
    /// fish 3.x: `set -gx NAME '…'` and `set -e NAME`.
    case fish
    /// PowerShell: `$env:NAME = '…'` and `Remove-Item Env:NAME`.
    case powershell
    /// A `.env` file: `NAME='…'`; refuses values it cannot represent, omits absent ones.
    case dotenv
    /// One flat JSON object of the present variables, in the given order.
    case json
}
