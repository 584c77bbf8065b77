import Foundation

/// When a photo was taken, as the camera recorded it: a wall-clock time, and
/// its offset from UTC when the camera wrote one (EXIF 2.31 OffsetTimeOriginal).
public struct CaptureDate: Equatable, Hashable, Sendable, CustomStringConvertible {
    public let year, month, day, hour, minute, second: Int
    /// Fraction of a second from SubSecTimeOriginal (0 when absent).
    public let fraction: Double
    /// Seconds east of UTC; nil when the file does not say.
    public let utcOffsetSeconds: Int?

    /// Parses "YYYY:MM:DD HH:MM:SS", "+HH:MM" and digits of a fraction; nil
    /// for blank ("    :  :  ") or impossible values, which cameras write.
    init?(exifDateTime text: String, offset: String? = nil, subseconds: String? = nil) {
        let digits = text.split(whereSeparator: { $0 == ":" || $0 == " " }).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard digits.count == 6, let year = digits[0], let month = digits[1], let day = digits[2],
              let hour = digits[3], let minute = digits[4], let second = digits[5],
              (1800...9999).contains(year), (1...12).contains(month), (1...31).contains(day),
              (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second) else { return nil }
        (self.year, self.month, self.day, self.hour, self.minute, self.second) = (year, month, day, hour, minute, second)
        let fractionDigits = subseconds?.trimmingCharacters(in: .whitespaces).prefix(9) ?? ""
        fraction = fractionDigits.allSatisfy(\.isNumber) && !fractionDigits.isEmpty
            ? Double("0." + fractionDigits) ?? 0 : 0
        utcOffsetSeconds = offset.flatMap(Self.parseOffset)
    }

    /// "+02:00" / "-05:30" to seconds.
    private static func parseOffset(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard trimmed.count == 6, let sign = trimmed.first, sign == "+" || sign == "-" else { return nil }
        let parts = trimmed.dropFirst().split(separator: ":")
        guard parts.count == 2, let hours = Int(parts[0]), let minutes = Int(parts[1]),
              hours <= 14, minutes < 60 else { return nil }
        return (sign == "-" ? -1 : 1) * (hours * 3600 + minutes * 60)
    }

    /// The instant, using the recorded offset or else `assumedTimeZone`
    /// (the camera's clock is local time of unknown zone).
    public func date(assuming assumedTimeZone: TimeZone = .current) -> Date? {
        var components = DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = utcOffsetSeconds.flatMap { TimeZone(secondsFromGMT: $0) } ?? assumedTimeZone
        components.calendar = calendar
        return calendar.date(from: components).map { $0.addingTimeInterval(fraction) }
    }

    public var description: String {
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        var text = "\(year)-\(two(month))-\(two(day))T\(two(hour)):\(two(minute)):\(two(second))"
        if let offset = utcOffsetSeconds {
            let magnitude = abs(offset)
            text += (offset < 0 ? "-" : "+") + two(magnitude / 3600) + ":" + two(magnitude % 3600 / 60)
        }
        return text
    }
}
