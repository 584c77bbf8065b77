internal import CVectorScan
import Dispatch
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Restricts a search to some photos. Folder and date filters are resolved
/// by the caller: `PhotoIndex.ids(inFolder:)` gives an allowed set, and the
/// date kept with each vector (`PhotoRecord.searchDateNanoseconds`: when the
/// photo was taken, else its mtime) serves date ranges.
public struct SearchFilter: Sendable {
    /// Only these ids (nil: any).
    public var allowedIDs: Set<UInt64>?
    /// Only photos whose date (taken, else mtime; ns since the epoch) lies in this range.
    public var dateRange: ClosedRange<Int64>?
    /// Any further condition on the id.
    public var predicate: (@Sendable (UInt64) -> Bool)?

    public init(allowedIDs: Set<UInt64>? = nil, dateRange: ClosedRange<Int64>? = nil,
                predicate: (@Sendable (UInt64) -> Bool)? = nil) {
        self.allowedIDs = allowedIDs
        self.dateRange = dateRange
        self.predicate = predicate
    }

    /// The former name of `dateRange`, from when only mtimes were known.
    public var mtimeRange: ClosedRange<Int64>? {
        get { dateRange }
        set { dateRange = newValue }
    }

    @inline(__always)
    func allows(id: UInt64, mtime: Int64) -> Bool {
        if let dateRange, !dateRange.contains(mtime) { return false }
        if let allowedIDs, !allowedIDs.contains(id) { return false }
        if let predicate, !predicate(id) { return false }
        return true
    }
}

/// Nearest-neighbour search over in-memory int8 rows with exact Float32
/// rescoring.
///
/// Each vector is kept as int8 codes and a scale (`Quantizer`), split in two
/// 4-bit planes (`SearchRows`). A query is quantised the same way; one pass
/// of the 4-bit kernel (`CVectorScan`: AVX2 where the CPU has it) over the
/// high plane scores every row, split over the cores for large libraries.
/// The best `coarseShortlistSize(k)` rows get their exact int8 score from
/// the low plane, and the best `shortlistSize(k)` of those are rescored with
/// their Float32 vectors, kept here or read from an `ExactVectorSource`. So
/// returned scores are exact dot products, in the exact order whenever the
/// true top `k` survive both shortlists (recall@10 against an exact Float32
/// scan: `photoq-model bench index`). Filters are tested only on rows that
/// would enter the first shortlist. Deletes swap the last row into the hole
/// (O(1)). Any number of threads may search at once; updates take the write
/// side of a read-write lock. `PhotoIndex` keeps an instance in step with LMDB.
public final class VectorSearch: @unchecked Sendable {
    public let dimension: Int

    /// Searches and updates are both short: let a pending update go first.
    private let lock = ReadWriteLock(preferWriters: true)
    private var rows: SearchRows
    private let source: (any ExactVectorSource)?

    /// Rows scored per kernel call: the block's scores stay in L1.
    static let scanBlock = 1024
    /// Below this many rows one thread scans; above, every core takes a slice.
    static let parallelThreshold = 1 << 16
    /// Below 1/8 of the rows, scoring only the allowed rows reads less
    /// memory than one pass over every row.
    static let sparseFilterRatio = 8

    /// How many int8 candidates are rescored exactly for `k` results.
    public static func shortlistSize(k: Int) -> Int { 2 * k + 64 }

    /// How many rows of the 4-bit pass get their int8 score for `k` results.
    public static func coarseShortlistSize(k: Int) -> Int { 16 * shortlistSize(k: k) }

    /// The scan kernel this CPU runs ("avx2" or "portable").
    public static var kernelName: String { String(cString: pq_scan_kernel_name()) }

    /// - Parameter exactVectors: where rescoring reads Float32 vectors; nil
    ///   keeps a Float32 copy of every row here (small indexes, tests).
    public init(dimension: Int, reservingCapacity: Int = 1024, exactVectors: (any ExactVectorSource)? = nil) {
        precondition(dimension > 0, "VectorSearch dimension must be positive")
        self.dimension = dimension
        source = exactVectors
        rows = SearchRows(dimension: dimension, capacity: reservingCapacity, keepsExactVectors: exactVectors == nil)
    }

    deinit { rows.deallocate() }

    /// The number of vectors held.
    public var count: Int { lock.withReadLock { rows.count } }

    public func contains(id: UInt64) -> Bool { lock.withReadLock { rows.rowOfID[id] != nil } }

    /// The stored Float32 vector (D) for `id`.
    public func vector(id: UInt64) -> [Float]? {
        let kept: [Float]?? = lock.withReadLock {
            guard let row = rows.rowOfID[id] else { return .some(nil) }
            return rows.keepsExactVectors ? .some(rows.exactVector(row: row)) : nil
        }
        if let kept { return kept }
        return ((try? source?.exactVectors(ids: [id])) ?? nil)?.first ?? nil
    }

    /// Every id held, in row order.
    public var allIDs: [UInt64] { lock.withReadLock { rows.ids } }

    /// Bytes of memory the rows take (codes, scales, ids, dates, exact copies).
    public var memoryBytes: Int { lock.withReadLock { rows.memoryBytes } }

    /// Makes room for `total` vectors at once (a load that knows its size
    /// avoids regrowing, which briefly holds two copies).
    public func reserve(_ total: Int) { lock.withWriteLock { rows.reserve(total) } }

    /// Inserts or replaces vectors (each (D)) under one lock; `mtimeNanoseconds`
    /// is the date `SearchFilter.dateRange` sees (taken, else mtime).
    public func upsert(_ entries: [(id: UInt64, vector: [Float], mtimeNanoseconds: Int64)]) throws {
        for entry in entries { try validate(entry.vector, what: "vector of photo \(entry.id)") }
        lock.withWriteLock {
            for entry in entries { rows.store(id: entry.id, vector: entry.vector, date: entry.mtimeNanoseconds) }
        }
    }

    /// Loads rows read in place from the searchrows table under one write
    /// lock (`PhotoIndex`'s start-up load): `fill` calls `add` once per row
    /// with its id, scale, high and low planes and date, copied as they are.
    func bulkLoad(_ fill: (_ add: (UInt64, Float, UnsafeRawBufferPointer, UnsafeRawBufferPointer, Int64) -> Void) throws -> Void) rethrows {
        try lock.withWriteLock {
            try fill { id, scale, high, low, date in rows.store(id: id, scale: scale, high: high, low: low, date: date) }
        }
    }

    public func upsert(id: UInt64, vector: [Float], mtimeNanoseconds: Int64 = 0) throws {
        try upsert([(id, vector, mtimeNanoseconds)])
    }

    /// Removes ids (unknown ids are ignored); returns how many were removed.
    @discardableResult
    public func remove(ids removed: [UInt64]) -> Int {
        lock.withWriteLock { removed.reduce(0) { $0 + (rows.remove(id: $1) ? 1 : 0) } }
    }

    @discardableResult
    public func remove(id: UInt64) -> Bool { remove(ids: [id]) == 1 }

    public func removeAll() { lock.withWriteLock { rows.removeAll() } }

    /// The best `k` hits for query (D), best first (ties: smaller id first).
    /// Fewer than `k` when fewer vectors pass the filter.
    public func search(_ query: [Float], k: Int, filter: SearchFilter? = nil) throws -> [SearchHit] {
        try search(query, k: k, filter: filter) { _ in true }
    }

    /// The best hits for query (D), best first, at least `k` of them and more
    /// until `enough` accepts the list (or every photo passing the filter is
    /// in it): for callers that fold several hits into one result. Each
    /// widening doubles the count and scans again.
    public func search(_ query: [Float], k: Int, filter: SearchFilter? = nil,
                       widenUntil enough: ([SearchHit]) -> Bool) throws -> [SearchHit] {
        try validate(query, what: "query")
        guard k > 0 else { return [] }
        let quantized = QuantizedQuery(query, rowBytes: (dimension + 1) / 2)
        var asked = k
        while true {
            let (hits, total) = try nearest(query, quantized, k: asked, filter: filter)
            if hits.count < asked || asked >= total || enough(hits) { return hits }
            asked = min(total, asked * 2)
        }
    }

    /// The best `k` hits for each query (Q of them, each (D)).
    public func search(queries: [[Float]], k: Int, filter: SearchFilter? = nil) throws -> [[SearchHit]] {
        for query in queries { try validate(query, what: "query") }
        return try queries.map { try search($0, k: k, filter: filter) }
    }

    // MARK: - Internals

    /// The exact top `k` of the shortlists, and how many rows there were.
    private func nearest(_ query: [Float], _ q: QuantizedQuery, k: Int,
                         filter: SearchFilter?) throws -> (hits: [SearchHit], rows: Int) {
        let shortlist = Self.shortlistSize(k: k)
        let (candidates, total, kept) = lock.withReadLock { () -> ([SearchHit], Int, [[Float]?]?) in
            let n = rows.count
            guard n > 0 else { return ([], 0, nil) }
            let candidates: [SearchHit]
            if let filter, let allowed = filter.allowedIDs, allowed.count * Self.sparseFilterRatio < n {
                candidates = scoreAllowedRows(q, shortlist: shortlist, allowed: allowed, filter: filter)
            } else {
                let coarse = scanAllRows(q, shortlist: Self.coarseShortlistSize(k: k), filter: filter)
                var fine = TopKSelector(k: shortlist)
                for hit in coarse { fine.offer(id: hit.id, score: int8Score(q, row: rows.rowOfID[hit.id]!)) }
                candidates = fine.sortedHits()
            }
            // Kept vectors are copied under the lock; a source is read after it.
            let kept = rows.keepsExactVectors ? candidates.map { rows.exactVector(row: rows.rowOfID[$0.id]!) } : nil
            return (candidates, n, kept)
        }
        let vectors: [[Float]?]
        if let kept {
            vectors = kept
        } else if let source {
            guard let read = try source.exactVectors(ids: candidates.map(\.id)) else {
                // The source moved to another model mid-search: the int8 scores are all there is.
                let approximate = candidates.prefix(k).map { SearchHit(id: $0.id, score: $0.score * q.scale) }
                return (approximate, total)
            }
            vectors = read
        } else {
            vectors = []
        }
        var selector = TopKSelector(k: k)
        for (candidate, vector) in zip(candidates, vectors) {
            guard let vector, vector.count == dimension else { continue }
            selector.offer(id: candidate.id, score: Self.dot(query, vector))
        }
        return (selector.sortedHits(), total)
    }

    /// The best `shortlist` rows by their high-plane score; every core takes
    /// a slice of a large index. Callers hold the read lock (worker threads only read).
    private func scanAllRows(_ q: QuantizedQuery, shortlist: Int, filter: SearchFilter?) -> [SearchHit] {
        let n = rows.count
        let slices = n < Self.parallelThreshold ? 1 : Self.cores
        if slices == 1 { return scan(q, rows: 0..<n, shortlist: shortlist, filter: filter).sortedHits() }
        let results = SliceResults(count: slices)
        DispatchQueue.concurrentPerform(iterations: slices) { slice in
            results.set(slice, scan(q, rows: n * slice / slices..<n * (slice + 1) / slices,
                                    shortlist: shortlist, filter: filter).sortedHits())
        }
        var merged = TopKSelector(k: shortlist)
        for hit in results.all.joined() { merged.offer(id: hit.id, score: hit.score) }
        return merged.sortedHits()
    }

    private func scan(_ q: QuantizedQuery, rows range: Range<Int>, shortlist: Int, filter: SearchFilter?) -> TopKSelector {
        var selector = TopKSelector(k: shortlist)
        let block = Self.scanBlock
        // Σ h·q = Σ (h + 8)·q − 8·Σq; the low plane is taken at its mean, 7.5.
        let offset = -128 * q.sum
        let lowMean = 7.5 * Float(q.sum)
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: block) { scores in
            q.even.withUnsafeBufferPointer { even in
                q.odd.withUnsafeBufferPointer { odd in
                    rows.scales.withUnsafeBufferPointer { scales in
                        rows.ids.withUnsafeBufferPointer { ids in
                            var start = range.lowerBound
                            while start < range.upperBound {
                                let count = min(block, range.upperBound - start)
                                pq_scan_u4(rows.high(row: start), count, rows.rowBytes, even.baseAddress, odd.baseAddress,
                                           scores.baseAddress)
                                for i in 0..<count {
                                    let row = start + i
                                    let score = scales[row] * (Float(16 * Int(scores[i]) + offset) + lowMean)
                                    let id = ids[row]
                                    guard selector.wouldKeep(id: id, score: score) else { continue }
                                    if let filter, !filter.allows(id: id, mtime: rows.dates[row]) { continue }
                                    selector.offer(id: id, score: score)
                                }
                                start += count
                            }
                        }
                    }
                }
            }
        }
        return selector
    }

    /// The row's exact int8 dot product with the query, times the row's scale.
    private func int8Score(_ q: QuantizedQuery, row: Int) -> Float {
        var high: Int32 = 0, low: Int32 = 0
        q.even.withUnsafeBufferPointer { even in
            q.odd.withUnsafeBufferPointer { odd in
                pq_scan_u4(rows.high(row: row), 1, rows.rowBytes, even.baseAddress, odd.baseAddress, &high)
                pq_scan_u4(rows.low(row: row), 1, rows.rowBytes, even.baseAddress, odd.baseAddress, &low)
            }
        }
        return rows.scales[row] * Float(16 * (Int(high) - 8 * q.sum) + Int(low))
    }

    /// int8 scores of only the rows of `allowed`; the heap's total order
    /// (score, then id) makes the result independent of the set's order.
    private func scoreAllowedRows(_ q: QuantizedQuery, shortlist: Int, allowed: Set<UInt64>, filter: SearchFilter) -> [SearchHit] {
        var selector = TopKSelector(k: shortlist)
        for id in allowed {
            guard let row = rows.rowOfID[id], filter.allows(id: id, mtime: rows.dates[row]) else { continue }
            selector.offer(id: id, score: int8Score(q, row: row))
        }
        return selector.sortedHits()
    }

    static func dot(_ a: [Float], _ b: [Float]) -> Float {
        var sum: Float = 0
        for i in a.indices { sum += a[i] * b[i] }
        return sum
    }

    private static let cores = max(1, min(8, sysconf(Int32(_SC_NPROCESSORS_ONLN))))

    private func validate(_ vector: [Float], what: String) throws {
        guard vector.count == dimension else {
            throw IndexError(.dimensionMismatch, "\(what) has \(vector.count) values, the index holds \(dimension)-d vectors")
        }
        guard vector.allSatisfy(\.isFinite) else {
            throw IndexError(.invalidArgument, "\(what) contains NaN or infinity")
        }
    }
}

/// A query quantised like the rows, its values split into even and odd
/// positions as the 4-bit kernel takes them.
struct QuantizedQuery: Sendable {
    let even: [Int8]
    let odd: [Int8]
    /// Σ of the codes.
    let sum: Int
    /// The query's value of one code step (scores leave it out: it orders nothing).
    let scale: Float

    init(_ query: [Float], rowBytes: Int) {
        var (codes, scale) = Quantizer.quantize(query)
        self.scale = scale
        codes.append(contentsOf: repeatElement(0, count: 2 * rowBytes - codes.count))
        even = stride(from: 0, to: codes.count, by: 2).map { codes[$0] }
        odd = stride(from: 1, to: codes.count, by: 2).map { codes[$0] }
        sum = codes.reduce(0) { $0 + Int($1) }
    }
}

/// One shortlist per slice of a parallel scan; each slice writes only its own entry.
private final class SliceResults: @unchecked Sendable {
    private let results: UnsafeMutableBufferPointer<[SearchHit]>
    init(count: Int) {
        results = .allocate(capacity: count)
        results.initialize(repeating: [])
    }
    deinit {
        _ = results.deinitialize()
        results.deallocate()
    }
    func set(_ slice: Int, _ hits: [SearchHit]) { results[slice] = hits }
    var all: [[SearchHit]] { Array(results) }
}
