import Imaging
import Index

extension CaptureTime {
    /// The camera's reading as the index keeps it.
    init(_ date: CaptureDate) {
        self.init(wallClockNanoseconds: CaptureTime.wallClockNanoseconds(
                      year: date.year, month: date.month, day: date.day, hour: date.hour,
                      minute: date.minute, second: date.second, fraction: date.fraction),
                  utcOffsetSeconds: date.utcOffsetSeconds.map { Int32(clamping: $0) })
    }
}

extension ImageFormat {
    /// The name records, results and `by_format` use: the file type people
    /// know ("heic" rather than the container's "heif").
    var recordName: String { self == .heif ? "heic" : rawValue }

    /// Every name `recordName` gives, for counts that list each format.
    static var recordNames: [String] { allCases.map(\.recordName) }

    /// `counts` (by record name) with every format present, 0 when none;
    /// records older than formats ("") are left out.
    static func indexedCounts(_ counts: [String: Int]) -> [String: Int] {
        Dictionary(uniqueKeysWithValues: recordNames.map { ($0, counts[$0] ?? 0) })
    }
}
