/// When a photo was taken, as the index keeps it: the camera's wall-clock
/// reading and, when the file records one, its offset from UTC.
public struct CaptureTime: Sendable, Equatable, Hashable {
    /// The wall-clock reading counted as if it were UTC, ns since the epoch
    /// (so the day and hour the camera showed survive without a zone).
    public var wallClockNanoseconds: Int64
    /// Seconds east of UTC; nil when the file does not say.
    public var utcOffsetSeconds: Int32?

    public init(wallClockNanoseconds: Int64, utcOffsetSeconds: Int32?) {
        self.wallClockNanoseconds = wallClockNanoseconds
        self.utcOffsetSeconds = utcOffsetSeconds
    }

    /// The instant, ns since the epoch. A reading without an offset is taken
    /// as UTC, the zone of the client's `--after`/`--before` days.
    public var instantNanoseconds: Int64 {
        wallClockNanoseconds &- Int64(utcOffsetSeconds ?? 0) &* 1_000_000_000
    }

    /// ISO 8601 with milliseconds when there are any, and the offset when
    /// known: "2015-07-04T18:22:03.250+02:00", "2015-07-04T18:22:03".
    public var iso8601: String {
        let (days, nanosOfDay) = Self.floorDivide(wallClockNanoseconds, 86_400_000_000_000)
        let seconds = nanosOfDay / 1_000_000_000
        let millis = nanosOfDay % 1_000_000_000 / 1_000_000
        let (y, m, d) = Self.civilDate(daysSinceEpoch: days)
        var text = "\(Self.pad(y, 4))-\(Self.pad(m, 2))-\(Self.pad(d, 2))T"
            + "\(Self.pad(seconds / 3600, 2)):\(Self.pad(seconds % 3600 / 60, 2)):\(Self.pad(seconds % 60, 2))"
        if millis != 0 { text += "." + Self.pad(millis, 3) }
        if let offset = utcOffsetSeconds {
            let magnitude = Int64(abs(Int(offset)))
            text += (offset < 0 ? "-" : "+") + Self.pad(magnitude / 3600, 2) + ":" + Self.pad(magnitude % 3600 / 60, 2)
        }
        return text
    }

    /// The wall-clock reading of a calendar date and time (proleptic Gregorian).
    public static func wallClockNanoseconds(year: Int, month: Int, day: Int, hour: Int, minute: Int,
                                            second: Int, fraction: Double) -> Int64 {
        let days = daysSinceEpoch(year: Int64(year), month: Int64(month), day: Int64(day))
        let seconds = days * 86_400 + Int64(hour) * 3600 + Int64(minute) * 60 + Int64(second)
        return seconds * 1_000_000_000 + Int64(min(999_999_999, (max(0, fraction) * 1e9).rounded()))
    }

    /// ISO 8601 UTC for a time in ns since the epoch: "2026-12-01T09:30:00Z".
    public static func utcISO8601(nanoseconds: Int64) -> String {
        CaptureTime(wallClockNanoseconds: nanoseconds, utcOffsetSeconds: nil).iso8601 + "Z"
    }

    // Howard Hinnant's days-from-civil and civil-from-days.
    static func daysSinceEpoch(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilDate(daysSinceEpoch z0: Int64) -> (Int64, Int64, Int64) {
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
        let digits = String(abs(value))
        return (value < 0 ? "-" : "") + String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
