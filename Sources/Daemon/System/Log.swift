import Foundation
import PhotoqProtocol

/// Severity, numbered as syslog and sd-daemon(3) number them.
public enum LogLevel: Int, Comparable, Sendable, CaseIterable {
    case error = 3, warning = 4, notice = 5, info = 6, debug = 7

    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue > b.rawValue }

    public init?(name: String) {
        switch name.lowercased() {
        case "error": self = .error
        case "warning", "warn": self = .warning
        case "notice": self = .notice
        case "info": self = .info
        case "debug": self = .debug
        default: return nil
        }
    }

    var name: String {
        switch self {
        case .error: "error"
        case .warning: "warning"
        case .notice: "notice"
        case .info: "info"
        case .debug: "debug"
        }
    }
}

/// Line-oriented logger to stderr. Under systemd (stderr is the journal
/// stream) each line starts with `<N>` so journald records the priority and
/// adds its own timestamp; on a terminal lines read `photoqd: warning: …`.
public final class Log: Sendable {
    public let threshold: LogLevel
    private let journal: Bool
    private let lock = NSLock()

    public init(threshold: LogLevel = .info, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.threshold = threshold
        journal = Log.stderrIsJournal(environment["JOURNAL_STREAM"])
    }

    /// systemd.exec(5): compare $JOURNAL_STREAM's device:inode with stderr's,
    /// since the variable is inherited by children whose stderr was redirected.
    static func stderrIsJournal(_ value: String?) -> Bool {
        guard let value, let colon = value.firstIndex(of: ":"),
              let dev = UInt64(value[..<colon]), let ino = UInt64(value[value.index(after: colon)...]) else { return false }
        var st = stat()
        guard fstat(2, &st) == 0 else { return false }
        return UInt64(st.st_dev) == dev && UInt64(st.st_ino) == ino
    }

    public func log(_ level: LogLevel, _ message: @autoclosure () -> String, _ metadata: KeyValuePairs<String, Any> = [:]) {
        guard level >= threshold else { return }
        var line = journal ? "<\(level.rawValue)>" : "photoqd: \(level.name): "
        line += message()
        for (key, value) in metadata { line += " \(key)=\(Log.quote("\(value)"))" }
        line += "\n"
        // Paths that are not UTF-8 show as `\xHH` escapes (PathBytes).
        line = PathBytes.display(line)
        lock.lock()
        defer { lock.unlock() }
        let bytes = Array(line.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            offset += n
        }
    }

    public func error(_ m: @autoclosure () -> String, _ md: KeyValuePairs<String, Any> = [:]) { log(.error, m(), md) }
    public func warning(_ m: @autoclosure () -> String, _ md: KeyValuePairs<String, Any> = [:]) { log(.warning, m(), md) }
    public func notice(_ m: @autoclosure () -> String, _ md: KeyValuePairs<String, Any> = [:]) { log(.notice, m(), md) }
    public func info(_ m: @autoclosure () -> String, _ md: KeyValuePairs<String, Any> = [:]) { log(.info, m(), md) }
    public func debug(_ m: @autoclosure () -> String, _ md: KeyValuePairs<String, Any> = [:]) { log(.debug, m(), md) }

    private static func quote(_ s: String) -> String {
        s.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\\\"") + "\"" : s
    }
}
