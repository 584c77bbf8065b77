import Foundation
import PhotoqProtocol

/// Range checks for every field a client sends, done before anything reaches
/// the index: a value out of range is an `invalid_argument` reply, never a
/// trap in a conversion (the daemon serves every other client too).
enum RequestValidation {
    static func k(_ k: Int) throws(WireError) {
        guard (1...Wire.maximumResults).contains(k) else {
            throw WireError(.invalidArgument, "k must be between 1 and \(Wire.maximumResults), not \(k)")
        }
    }

    /// A score cutoff: cosine similarities lie in −1...1.
    static func minScore(_ value: Double?) throws(WireError) -> Float? {
        guard let value else { return nil }
        guard value.isFinite, (-1...1).contains(value) else {
            throw WireError(.invalidArgument, "minScore must be between -1 and 1, not \(value)")
        }
        return Float(value)
    }

    /// The trimmed query text; empty is refused unless `optional`.
    static func text(_ raw: String?, optional: Bool = false) throws(WireError) -> String? {
        guard let raw else {
            if optional { return nil }
            throw WireError(.invalidArgument, "the search text is missing")
        }
        // Measured before trimming, so a huge run of spaces is not trimmed first.
        guard raw.utf8.count <= Wire.maximumTextBytes * 4 else {
            throw WireError(.invalidArgument, "the search text is longer than \(Wire.maximumTextBytes) bytes")
        }
        let text = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.isEmpty {
            if optional { return nil }
            throw WireError(.invalidArgument, "the search text is empty")
        }
        guard text.utf8.count <= Wire.maximumTextBytes else {
            throw WireError(.invalidArgument, "the search text is longer than \(Wire.maximumTextBytes) bytes")
        }
        guard !text.utf8.contains(0) else { throw WireError(.invalidArgument, "the search text contains a NUL byte") }
        return text
    }

    /// An absolute path without NUL bytes, at most `Wire.maximumPathBytes`.
    static func path(_ path: String, what: String) throws(WireError) -> String {
        guard path.hasPrefix("/") else { throw WireError(.invalidArgument, "\(what) must be an absolute path, not `\(excerpt(path))`") }
        guard path.utf8.count <= Wire.maximumPathBytes else {
            throw WireError(.invalidArgument, "\(what) is longer than \(Wire.maximumPathBytes) bytes")
        }
        guard !path.utf8.contains(0) else { throw WireError(.invalidArgument, "\(what) contains a NUL byte") }
        return path
    }

    /// A photo named by exactly one of id or path.
    static func photo(_ ref: PhotoReference) throws(WireError) -> PhotoReference {
        switch (ref.id, ref.path) {
        case (let id?, nil): return PhotoReference(id: id)
        case (nil, let path?): return PhotoReference(path: try self.path(path, what: "the photo path"))
        case (nil, nil): throw WireError(.invalidArgument, "name the photo by id or path")
        case (_?, _?): throw WireError(.invalidArgument, "name the photo by id or by path, not both")
        }
    }

    /// The folder filter without its trailing slash ("/" stays "/").
    static func folder(_ folder: String?) throws(WireError) -> String? {
        guard let folder else { return nil }
        let checked = try path(folder, what: "the folder filter")
        return checked.count > 1 && checked.hasSuffix("/") ? String(checked.dropLast()) : checked
    }

    /// The tag filter as a set of lower-case names; nil when absent or empty.
    static func tags(_ tags: [String]?) throws(WireError) -> Set<String>? {
        guard let tags, !tags.isEmpty else { return nil }
        guard tags.count <= TagScore.maximumFilterTags else {
            throw WireError(.invalidArgument, "at most \(TagScore.maximumFilterTags) tags may filter a search, not \(tags.count)")
        }
        var names = Set<String>()
        for raw in tags {
            let name = raw.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
            guard !name.isEmpty else { throw WireError(.invalidArgument, "a tag in the filter is empty") }
            guard name.utf8.count <= TagScore.maximumTagBytes, !name.utf8.contains(0) else {
                throw WireError(.invalidArgument, "the tag `\(excerpt(name))` is longer than \(TagScore.maximumTagBytes) bytes or contains a NUL byte")
            }
            names.insert(name)
        }
        return names
    }

    /// Which modification times (ns since 1970) the date filters let through.
    enum TimeWindow: Equatable {
        case any
        case nothing
        case range(ClosedRange<Int64>)
    }

    /// Any finite number of seconds is accepted: a day before 1678 or after
    /// 2262 lies beyond what Int64 nanoseconds hold, and is clamped (after
    /// 1600 lets everything through, after 2263 nothing). NaN and infinities
    /// mean the client is broken and are refused.
    static func timeWindow(after: Double?, before: Double?) throws(WireError) -> TimeWindow {
        for (name, value) in [("modifiedAfter", after), ("modifiedBefore", before)] {
            if let value, !value.isFinite {
                throw WireError(.invalidArgument, "\(name) must be a finite number of seconds since 1970, not \(value)")
            }
        }
        if after == nil && before == nil { return .any }
        // mtime >= after, and mtime < before, i.e. mtime <= ceil(before) - 1.
        let low = after.map { nanoseconds($0, .down) } ?? Int64.min
        var high = Int64.max
        if let before {
            let limit = nanoseconds(before, .up)
            guard limit > Int64.min else { return .nothing }
            high = limit == Int64.max ? Int64.max : limit - 1
        }
        return low <= high ? .range(low...high) : .nothing
    }

    /// Seconds → nanoseconds, saturating at Int64's ends instead of trapping.
    static func nanoseconds(_ seconds: Double, _ rule: FloatingPointRoundingRule) -> Int64 {
        let ns = (seconds * 1e9).rounded(rule)
        if ns >= 0x1p63 { return .max }
        if ns <= -0x1p63 { return .min }
        return Int64(ns)
    }

    private static func excerpt(_ s: String) -> String { s.count > 80 ? String(s.prefix(80)) + "…" : s }
}
