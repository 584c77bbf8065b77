/// A day of the proleptic Gregorian calendar, as `--after`/`--before` take it
/// (YYYY-MM-DD, UTC), turned into the seconds since 1970 the search filters carry.
public struct CalendarDay: Sendable, Equatable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// Years 1 to 9999: four digits, and every such day is a finite number of
    /// seconds that the daemon's filters accept.
    public static let years = 1...9999

    /// Parses `YYYY-MM-DD` (month and day may have one digit); nil when it is
    /// not a real day (2023-02-29, 2024-13-01, -2024-01-01, 20240-01-01).
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, (1...2).contains(parts[1].count), (1...2).contains(parts[2].count),
              parts.allSatisfy({ $0.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) } }),
              let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
              Self.years.contains(y), (1...12).contains(m), (1...Self.days(inMonth: m, of: y)).contains(d) else { return nil }
        year = y
        month = m
        day = d
    }

    public var description: String {
        func pad(_ n: Int, _ width: Int) -> String { String(repeating: "0", count: max(0, width - String(n).count)) + String(n) }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    /// The day `days` after 1970-01-01 (negative: before it); no range check
    /// beyond what fits an Int.
    public init(daysSince1970 days: Int) {
        // Civil from days (Howard Hinnant's algorithm), avoiding a calendar dependency.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        day = doy - (153 * mp + 2) / 5 + 1
        month = mp < 10 ? mp + 3 : mp - 9
        year = yoe + era * 400 + (month <= 2 ? 1 : 0)
    }

    /// Days since 1970-01-01 (days from civil, the inverse of `init(daysSince1970:)`).
    public var daysSince1970: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// Seconds since 1970-01-01 at 00:00 UTC of this day.
    public var secondsSince1970: Double { Double(daysSince1970) * 86_400 }

    /// "2026-12-01T09:30:00Z" for a time in seconds since 1970, with
    /// milliseconds when there are any; a time outside years 1–9999 (a
    /// hostile reply) clamps to those bounds.
    public static func iso8601(secondsSince1970 seconds: Double) -> String {
        let clamped = seconds.isFinite ? max(-62_135_596_800, min(253_402_300_799.999, seconds)) : 0
        let millis = Int((clamped * 1000).rounded(.down))
        let days = millis >= 0 ? millis / 86_400_000 : -((-millis + 86_399_999) / 86_400_000)
        let msOfDay = millis - days * 86_400_000
        let s = msOfDay / 1000
        func pad(_ n: Int, _ width: Int) -> String { String(repeating: "0", count: max(0, width - String(n).count)) + String(n) }
        var text = "\(CalendarDay(daysSince1970: days))T\(pad(s / 3600, 2)):\(pad(s % 3600 / 60, 2)):\(pad(s % 60, 2))"
        if msOfDay % 1000 != 0 { text += "." + pad(msOfDay % 1000, 3) }
        return text + "Z"
    }

    static func days(inMonth month: Int, of year: Int) -> Int {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}
