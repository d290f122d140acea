import ArgumentParser
import Vault
import VaultOperations

struct Status: VaultCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the vault, the unlock and the active profile, without asking for anything.",
        discussion: """
            Reports the vault path and whether it exists; locked, or unlocked with the time left; the \
            active profile ($TWVAULT_PROFILE); and, when unlocked, whether TWILIO_ACCOUNT_SID in this \
            environment is that profile's, and its access token's expiry. Never prompts; exits 0 \
            whenever it could report.

            Examples:
              twvault status
              twvault status --json | jq .unlock_seconds_left
            """)

    @OptionGroup var global: GlobalOptions
    @Flag(help: "Print JSON.")
    var json = false

    struct Report: Encodable {
        var vault: String
        var exists: Bool
        var unlocked: Bool
        var unlockExpiresAt: String?
        var unlockSecondsLeft: Int64?
        var profile: String?
        var profileExists: Bool?
        var accountSIDMatches: Bool?
        var accessTokenExpiresAt: String?

        enum CodingKeys: String, CodingKey {
            case vault, exists, unlocked, profile
            case unlockExpiresAt = "unlock_expires_at"
            case unlockSecondsLeft = "unlock_seconds_left"
            case profileExists = "profile_exists"
            case accountSIDMatches = "account_sid_matches"
            case accessTokenExpiresAt = "access_token_expires_at"
        }
    }

    func run(in context: Context) async throws {
        let access = VaultAccess(global.values, context: context)
        let report = Self.report(access)
        if json {
            access.context.output.stdout(try JSONOutput.encode(report))
            return
        }
        var lines = [("vault", report.vault + (report.exists ? "" : " (does not exist)"))]
        if report.exists {
            let left = report.unlockSecondsLeft.map { " (\(Durations.describe($0)) left)" } ?? ""
            lines.append(("unlock", report.unlocked ? "unlocked" + left : "locked"))
        }
        var profileLine =
            report.profile.map { Names.printable($0) } ?? "none (set TWVAULT_PROFILE or use `twvault use`)"
        if report.profileExists == false { profileLine += " (no such profile)" }
        if let matches = report.accountSIDMatches {
            profileLine += matches ? ", TWILIO_ACCOUNT_SID matches" : ", TWILIO_ACCOUNT_SID is another account's"
        }
        lines.append(("profile", profileLine))
        if let expires = report.accessTokenExpiresAt {
            lines.append(("token", "access token expires \(expires)"))
        }
        let width = lines.map(\.0.count).max() ?? 0
        access.context.output.stdout(
            lines.map { $0.0.padded(to: width + 2) + $0.1 + "\n" }.joined())
    }

    /// What can be said without a passphrase: any failure leaves a field empty, never an error.
    static func report(_ access: VaultAccess) -> Report {
        let context = access.context
        var report = Report(vault: access.displayPath, exists: false, unlocked: false)
        report.profile = context.env("TWVAULT_PROFILE")
        guard let file = try? access.open() else { return report }
        report.exists = true
        if let name = report.profile { report.profileExists = (try? file.hasProfile(name)) ?? nil }
        // This vault's entry of TWVAULT_SESSION; the unlocks of other vaults say nothing here.
        guard let value = context.env("TWVAULT_SESSION"),
            let opened = try? access.sessions.open(file, session: value, now: context.now())
        else { return report }
        let vault = opened.vault
        report.unlocked = true
        report.unlockExpiresAt = Timestamps.rfc3339(opened.expiresAt)
        report.unlockSecondsLeft = max(0, opened.expiresAt - context.now())
        if let name = report.profile, report.profileExists == true, let record = try? vault.profile(name) {
            if let sid = context.env("TWILIO_ACCOUNT_SID") { report.accountSIDMatches = sid == record.accountSID }
            if let cached = try? vault.cachedToken(profile: name) {
                report.accessTokenExpiresAt = Timestamps.rfc3339(cached.expiresAt)
            }
        }
        return report
    }
}
