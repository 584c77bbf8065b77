import Index
import PhotoqProtocol

/// The files that are not indexed, as `--status` counts them and `--failed`
/// lists them: failed ones (by failure class), then skipped ones (the skips
/// table, plus photos under `min_side`, stored as failures of class "too small").
enum FailureListing {
    struct Counts: Equatable {
        var failed = 0
        var skipped = 0
        var byReason: [String: Int] = [:]
        /// Failure classes only, for `failedByReason`.
        var failedByReason: [String: Int] = [:]
    }

    static func counts(_ index: PhotoIndex) throws -> Counts {
        var counts = Counts()
        try index.forEachFailure { failure in
            let name = FailureReason.className(ofReason: failure.reason)
            if name == FailureReason.tooSmall {
                counts.skipped += 1
            } else {
                counts.failed += 1
                counts.failedByReason[name, default: 0] += 1
            }
            counts.byReason[name, default: 0] += 1
            return true
        }
        try index.forEachSkip { skip in
            counts.skipped += 1
            counts.byReason[skip.className, default: 0] += 1
            return true
        }
        return counts
    }

    /// Entries `offset ..< offset + limit` of failed-then-skipped files.
    static func page(_ index: PhotoIndex, offset: Int, limit: Int) throws -> FailuresResult {
        var failed: [FailureEntry] = []
        var skipped: [FailureEntry] = []
        try index.forEachFailure { failure in
            let name = FailureReason.className(ofReason: failure.reason)
            let detail = detail(of: failure.reason)
            if name == FailureReason.tooSmall {
                skipped.append(FailureEntry(path: failure.path, reason: name, detail: detail, skipped: true))
            } else {
                failed.append(FailureEntry(path: failure.path, reason: name, detail: detail, skipped: false))
            }
            return true
        }
        try index.forEachSkip { skip in
            skipped.append(FailureEntry(path: skip.path, reason: skip.className, detail: skip.detail, skipped: true))
            return true
        }
        // Too-small photos and the skips table are each in path order; keep skipped files in one order.
        skipped.sort { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
        let all = failed + skipped
        let start = min(max(0, offset), all.count)
        let end = min(all.count, start + max(0, limit))
        return FailuresResult(entries: Array(all[start..<end]), total: all.count, nextOffset: end < all.count ? end : nil)
    }

    /// The reason without its leading "class: ".
    private static func detail(of reason: String) -> String {
        guard let colon = reason.firstIndex(of: ":") else { return reason }
        return String(reason[reason.index(after: colon)...].drop(while: { $0 == " " }))
    }
}
