/// Parses durations such as `90s`, `15m`, `1h`, `1h30m`, `2d` or a plain number of seconds.
public enum Durations {
    public static func seconds(_ text: String) -> Int64? {
        if let plain = Int64(text), plain >= 0 { return plain }
        var total: Int64 = 0
        var digits = ""
        var sawUnit = false
        for character in text {
            if character.isASCII, character.isNumber {
                digits.append(character)
                continue
            }
            guard let value = Int64(digits) else { return nil }
            let unit: Int64
            switch character {
            case "s": unit = 1
            case "m": unit = 60
            case "h": unit = 3600
            case "d": unit = 86400
            default: return nil
            }
            let (product, overflow) = value.multipliedReportingOverflow(by: unit)
            let (sum, sumOverflow) = total.addingReportingOverflow(product)
            // `9223372036854775807s1s`: each part fits, the total does not; a usage error, not a trap.
            guard !overflow, !sumOverflow else { return nil }
            total = sum
            digits = ""
            sawUnit = true
        }
        guard digits.isEmpty, sawUnit else { return nil }
        return total
    }

    /// `1h 5m`, `45s`, `3d 2h`: a short human form.
    public static func describe(_ seconds: Int64) -> String {
        if seconds < 60 { return "\(seconds)s" }
        if seconds < 3600 { return "\(seconds / 60)m" + (seconds % 60 > 0 ? " \(seconds % 60)s" : "") }
        if seconds < 86400 { return "\(seconds / 3600)h" + (seconds % 3600 / 60 > 0 ? " \(seconds % 3600 / 60)m" : "") }
        return "\(seconds / 86400)d" + (seconds % 86400 / 3600 > 0 ? " \(seconds % 86400 / 3600)h" : "")
    }
}
