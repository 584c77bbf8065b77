/// Dates in `--json` output as ISO 8601, without Foundation's formatters.
enum ResultDates {
    /// "2026-12-01T09:30:00Z", with milliseconds when there are any; a time
    /// too far out for a calendar date (a hostile reply) clamps to its bounds.
    static func iso8601(secondsSince1970 seconds: Double) -> String {
        let clamped = seconds.isFinite ? max(-62_135_596_800, min(253_402_300_799.999, seconds)) : 0
        let millis = Int64((clamped * 1000).rounded(.down))
        let (days, msOfDay) = floorDivide(millis, 86_400_000)
        let (y, m, d) = civilDate(daysSinceEpoch: days)
        let s = msOfDay / 1000
        var text = "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(s / 3600, 2)):\(pad(s % 3600 / 60, 2)):\(pad(s % 60, 2))"
        if msOfDay % 1000 != 0 { text += "." + pad(msOfDay % 1000, 3) }
        return text + "Z"
    }

    // Howard Hinnant's civil-from-days.
    private static func civilDate(daysSinceEpoch z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    private static func floorDivide(_ a: Int64, _ b: Int64) -> (Int64, Int64) {
        let q = a / b, r = a % b
        return r < 0 ? (q - 1, r + b) : (q, r)
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
