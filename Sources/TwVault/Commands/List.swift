import ArgumentParser
import FoundationEssentials
import Vault
import VaultOperations

struct List: VaultCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List profiles.",
        discussion: """
            Names need no passphrase. --details unlocks the vault and adds the account SID, the kinds \
            of credential, the region, the access token's expiry and the age of each credential.

            Examples:
              twvault list
              twvault list --details
              twvault list --json | jq -r '.[].name'
            """)

    @OptionGroup var global: GlobalOptions
    @Flag(help: "Unlock and show account, credentials, region, token expiry and credential ages.")
    var details = false
    @Flag(help: "Print JSON.")
    var json = false

    func run(in context: Context) async throws {
        let access = VaultAccess(global.values, context: context)
        let file = try access.open()
        let names = try file.profileNames()
        // Names come from the file: one that breaks the name rule (planted by SQL) is shown escaped.
        guard details else {
            if json {
                access.context.output.stdout(try JSONOutput.encode(names.map { ["name": Names.display($0)] }))
            } else {
                access.context.output.stdout(names.map { Names.display($0) + "\n" }.joined())
            }
            return
        }
        let vault = try access.unlock(file)
        let now = access.context.now()
        var rows: [ProfileSummary] = []
        for name in names {
            let record = try vault.profile(name)
            let token = try vault.cachedToken(profile: name)
            let rotation = try vault.record(RotationState.self, profile: name, kind: .rotation)
            rows.append(
                ProfileSummary(name: Names.display(name), record: record, token: token, rotation: rotation, now: now))
        }
        if json {
            access.context.output.stdout(try JSONOutput.encode(rows))
        } else {
            let table = rows.map { row in
                [
                    row.name, row.accountSID ?? "-", row.credentials.joined(separator: ","), row.region ?? "-",
                    row.tokenDescription(now: now), row.ageDescription, row.rotationDescription ?? "-",
                ]
            }
            access.context.output.stdout(
                TextTable.render(
                    header: ["PROFILE", "ACCOUNT", "CREDENTIALS", "REGION", "TOKEN", "AGE", "ROTATION"],
                    rows: table))
        }
    }
}

/// The non-secret facts about one profile, for `list --details` and `show`.
struct ProfileSummary: Encodable {
    var name: String
    var accountSID: String?
    var apiKeySID: String?
    var clientID: String?
    var credentials: [String]
    var secrets: [String: Bool]
    var region: String?
    var edge: String?
    var tokenURL: String?
    var scope: String?
    var audience: String?
    var createdAt: String
    var accessTokenExpiresAt: String?
    /// Seconds since each rotatable credential was set; nil (JSON null) where that is unknown.
    var credentialAge: [String: Int64?]
    /// An interrupted rotation, to finish with `rotate --resume`.
    var unfinishedRotation: UnfinishedRotation?
    /// The names (never the values) of the extra variables, when they were read (`show`).
    var extraVariables: [String]?

    struct UnfinishedRotation: Encodable {
        var credential: String
        var step: String
        var startedAt: String

        enum CodingKeys: String, CodingKey {
            case credential, step
            case startedAt = "started_at"
        }
    }

    init(name: String, record: ProfileRecord, token: CachedToken?, rotation: RotationState? = nil, now: Int64) {
        self.name = name
        accountSID = record.accountSID
        apiKeySID = record.apiKeySID
        clientID = record.clientID
        credentials = record.credentialKinds
        secrets = [
            "auth_token": record.authToken != nil, "api_key_secret": record.apiKeySecret != nil,
            "client_secret": record.clientSecret != nil, "refresh_token": record.refreshToken != nil,
            "access_token": token != nil,
        ]
        region = record.region
        edge = record.edge
        tokenURL = record.tokenURL
        scope = record.scope
        audience = record.audience
        createdAt = Timestamps.rfc3339(record.createdAt)
        accessTokenExpiresAt = token.map { Timestamps.rfc3339($0.expiresAt) }
        credentialAge = record.knownCredentialTimes.mapValues { time in time.map { max(0, now - $0) } }
        expiresAt = token?.expiresAt
        unfinishedRotation = rotation.map {
            UnfinishedRotation(
                credential: $0.kind.rawValue, step: $0.step.rawValue, startedAt: Timestamps.rfc3339($0.startedAt))
        }
    }

    /// "unfinished api_key rotation (step created): run `twvault rotate p --resume`", or nil.
    var rotationDescription: String? {
        unfinishedRotation.map {
            "unfinished \($0.credential) rotation (step \($0.step)): run `twvault rotate \(name) --resume`"
        }
    }

    private var expiresAt: Int64?

    enum CodingKeys: String, CodingKey {
        case name, credentials, secrets, region, edge, scope, audience
        case accountSID = "account_sid"
        case apiKeySID = "api_key_sid"
        case clientID = "client_id"
        case tokenURL = "token_url"
        case createdAt = "created_at"
        case accessTokenExpiresAt = "access_token_expires_at"
        case credentialAge = "credential_age_seconds"
        case unfinishedRotation = "unfinished_rotation"
        case extraVariables = "extra_variables"
    }

    func tokenDescription(now: Int64) -> String {
        guard let expiresAt else { return "-" }
        return expiresAt > now ? "valid \(Durations.describe(expiresAt - now))" : "expired"
    }

    var ageDescription: String {
        guard !credentialAge.isEmpty else { return "-" }
        return credentialAge.sorted { $0.key < $1.key }
            .map { "\($0.key) \($0.value.map(Durations.describe) ?? "unknown")" }
            .joined(separator: ", ")
    }
}

enum Timestamps {
    /// `YYYY-MM-DDThh:mm:ssZ` in UTC for seconds since 1970 (years 0–9999), computed with the
    /// proleptic Gregorian calendar's day arithmetic rather than a locale-aware formatter.
    static func rfc3339(_ seconds: Int64) -> String {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let second = seconds - days * 86_400
        let (year, month, day) = civilDate(daysSince1970: days)
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let yyyy = String(repeating: "0", count: max(0, 4 - String(year).count)) + String(year)
        return "\(yyyy)-\(two(month))-\(two(day))T\(two(second / 3600)):\(two(second / 60 % 60)):\(two(second % 60))Z"
    }

    /// Year, month (1–12) and day (1–31) of a day counted from 1970-01-01, by eras of 400 years
    /// (146,097 days) starting on March 1st so that the leap day ends each year.
    static func civilDate(daysSince1970 days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

enum JSONOutput {
    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
    }
}

extension String {
    /// The text followed by spaces up to `width` characters (unchanged when already as long).
    func padded(to width: Int) -> String {
        let count = self.count
        return count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}

/// Left-aligned columns separated by two spaces.
enum TextTable {
    static func render(header: [String], rows: [[String]]) -> String {
        // Cells hold values read from the file: nothing in them may drive the terminal.
        let all = [header] + rows.map { $0.map(Names.terminalSafe) }
        var widths = [Int](repeating: 0, count: header.count)
        for row in all { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
        return all.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padded(to: widths[index])
            }.joined(separator: "  ") + "\n"
        }.joined()
    }
}
