import PhotoqProtocol

/// The lines of `photoq --status` that account for files not indexed and
/// say whether indexing is still running.
enum StatusLines {
    static func accounting(_ status: StatusResult) -> [String] {
        var lines: [String] = []
        if let skipped = status.skipped {
            let failureClasses = Set((status.failedByReason ?? [:]).keys)
            let skipClasses = (status.byReason ?? [:]).filter { !failureClasses.contains($0.key) && $0.value > 0 }
            let detail = skipClasses.isEmpty ? "" : " (" + skipClasses.sorted { $0.key < $1.key }
                .map { "\($0.value) \($0.key)" }.joined(separator: ", ") + ")"
            lines.append("skipped  \(skipped)\(detail)")
        }
        if let indexing = status.indexing {
            let shown = switch indexing {
            case "embedding": "embedding, \(status.pending) pending"
            case "scanning": "scanning the roots"
            default: indexing
            }
            lines.append("indexing \(shown)")
        }
        if (status.failed > 0 || (status.skipped ?? 0) > 0) {
            lines.append("         (photoq --failed lists every file not indexed, with its reason)")
        }
        return lines
    }
}
