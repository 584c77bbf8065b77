import Foundation

/// Progress on stderr: count, rate and ETA, redrawn in place on a terminal;
/// when stderr is not a TTY (logs, CI) one plain line every `logInterval`.
public final class ProgressBar: @unchecked Sendable {
    private let label: String
    private let total: Int
    private let isTerminal: Bool
    private let logInterval: TimeInterval
    private let start = Date()
    private var lastDraw = Date.distantPast
    private var done = 0
    private var note = ""
    private let lock = NSLock()

    public init(label: String, total: Int, logInterval: TimeInterval = 10) {
        self.label = label
        self.total = total
        self.logInterval = logInterval
        isTerminal = isatty(STDERR_FILENO) == 1
    }

    /// Adds `count` finished items; `note` (e.g. "loss 0.123") is shown after the figures.
    public func advance(by count: Int = 1, note: String? = nil) {
        lock.lock(); defer { lock.unlock() }
        done += count
        if let note { self.note = note }
        let now = Date()
        let interval = isTerminal ? 0.2 : logInterval
        if now.timeIntervalSince(lastDraw) >= interval && done < total {
            lastDraw = now
            draw(final: false)
        }
    }

    /// Prints the final line (always, so logs show the total time).
    public func finish(note: String? = nil) {
        lock.lock(); defer { lock.unlock() }
        if let note { self.note = note }
        draw(final: true)
    }

    private func draw(final: Bool) {
        let elapsed = Date().timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let remaining = rate > 0 ? Double(total - done) / rate : 0
        var line = "\(label) \(done)/\(total) \(String(format: "%.1f", rate))/s"
        line += final ? " in \(Self.clock(elapsed))" : " ETA \(Self.clock(remaining))"
        if !note.isEmpty { line += " " + note }
        let text = isTerminal ? "\r\u{1B}[K" + line + (final ? "\n" : "") : line + "\n"
        FileHandle.standardError.write(Data(text.utf8))
    }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
