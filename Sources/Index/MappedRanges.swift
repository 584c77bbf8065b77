#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The address ranges at which this process maps a file, from
/// /proc/self/maps (LMDB does not say where its map lies).
enum MappedRanges {
    static func of(file path: String) -> [(start: UnsafeMutableRawPointer, length: Int)] {
        guard let maps = fopen("/proc/self/maps", "r") else { return [] }
        defer { fclose(maps) }
        var ranges: [(UnsafeMutableRawPointer, Int)] = []
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        while getline(&line, &capacity, maps) > 0, let line {
            // "start-end perms offset dev inode   path"
            let text = String(cString: line).dropLast() // the newline
            guard text.hasSuffix(path) else { continue }
            let fields = text.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
            guard fields.count == 6, fields[5].drop(while: { $0 == " " }) == Substring(path) else { continue }
            let bounds = fields[0].split(separator: "-")
            guard bounds.count == 2, let start = UInt(bounds[0], radix: 16), let end = UInt(bounds[1], radix: 16),
                  end > start, let pointer = UnsafeMutableRawPointer(bitPattern: start) else { continue }
            ranges.append((pointer, Int(end - start)))
        }
        return ranges
    }
}
