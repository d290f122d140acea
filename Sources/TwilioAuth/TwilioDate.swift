/// The dates of Twilio's 2010 REST API (`date_created`, `date_updated`): RFC 2822 with a
/// numeric zone, "Mon, 16 Aug 2010 03:45:01 +0000".
public enum TwilioDate {
    /// Seconds since 1970, or nil when `text` is not such a date. The weekday is optional and
    /// not checked against the date; `GMT` and `UT` are accepted for `+0000`.
    public static func seconds(_ text: String) -> Int64? {
        var fields = text.split(separator: " ", omittingEmptySubsequences: true)
        if let first = fields.first, first.hasSuffix(",") {
            guard first.count == 4 else { return nil }
            fields.removeFirst()
        }
        guard fields.count == 5, fields[0].count <= 2, let day = Int(fields[0]), (1...31).contains(day),
            let month = RetryAfter.months.firstIndex(of: String(fields[1])),
            fields[2].count == 4, fields[2].allSatisfy(\.isASCII), let year = Int(fields[2]), year >= 1970,
            let offset = zoneOffset(fields[4])
        else { return nil }
        let time = fields[3].split(separator: ":", omittingEmptySubsequences: false)
        guard time.count == 3, time.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isASCII) }),
            let hour = Int(time[0]), let minute = Int(time[1]), let second = Int(time[2]),
            (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second)
        else { return nil }
        let days = RetryAfter.daysFromCivil(year: year, month: month + 1, day: day)
        return Int64(days * 86_400 + hour * 3_600 + minute * 60 + second - offset)
    }

    /// "+0130" → 5400 seconds east of UTC.
    private static func zoneOffset(_ zone: Substring) -> Int? {
        if zone == "GMT" || zone == "UT" || zone == "UTC" { return 0 }
        guard zone.count == 5, let sign = zone.first, sign == "+" || sign == "-" else { return nil }
        let digits = zone.dropFirst()
        guard digits.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(digits) else { return nil }
        let hours = value / 100
        let minutes = value % 100
        guard hours <= 23, minutes <= 59 else { return nil }
        let seconds = hours * 3_600 + minutes * 60
        return sign == "-" ? -seconds : seconds
    }
}
