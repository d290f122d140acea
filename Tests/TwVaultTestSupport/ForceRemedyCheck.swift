import Testing

/// DESIGN §10: no error proposes `--force` — which replaces a profile and everything it holds —
/// as a remedy. Every command line a test runs, in process or as the binary, passes its
/// stderr through here, so every error the suite provokes is checked.
///
/// Allowed: a command that was itself given `--force` may say to run it again (it was refused
/// before anything was replaced), and `backup`'s `--force` overwrites a backup file, never the
/// vault.
public enum ForceRemedyCheck {
    public static func check(arguments: [String], stderr: String) {
        guard stderr.contains("--force"), !arguments.contains("--force"), !arguments.contains("backup") else { return }
        // Help texts (stdout) may name --force; stderr lines are messages and errors.
        let lines = stderr.split(separator: "\n").filter { $0.contains("--force") }
        Issue.record(
            "an error proposes --force for \(arguments.first ?? ""): \(lines.joined(separator: " | "))")
    }
}
