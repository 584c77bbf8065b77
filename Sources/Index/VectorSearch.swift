internal import CBLAS

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

/// Exact nearest-neighbour search over an in-memory (N,D) Float matrix.
///
/// Rows are contiguous so one `cblas_sgemv` scores every photo; a k-sized
/// heap then picks the best. Deletes swap the last row into the hole (O(1)).
/// Any number of threads may search at once; updates take the write side of
/// a read-write lock. `PhotoIndex` keeps an instance in step with LMDB.
public final class VectorSearch: @unchecked Sendable {
    public let dimension: Int

    /// Searches and updates are both short: let a pending update go first.
    private let lock = ReadWriteLock(preferWriters: true)
    /// matrix (capacity, D), rows 0..<count in use.
    private var matrix: UnsafeMutablePointer<Float>
    private var capacity: Int
    private var ids: [UInt64] = []
    private var mtimes: [Int64] = []
    private var rowOfID: [UInt64: Int] = [:]

    /// Bounds the (Q,N) score block of a batch search to 64 MiB.
    static let batchScoreBudget = 16 << 20

    public init(dimension: Int, reservingCapacity: Int = 1024) {
        precondition(dimension > 0, "VectorSearch dimension must be positive")
        self.dimension = dimension
        capacity = max(reservingCapacity, 16)
        matrix = .allocate(capacity: capacity * dimension)
    }

    deinit { matrix.deallocate() }

    /// The number of vectors held.
    public var count: Int { lock.withReadLock { ids.count } }

    public func contains(id: UInt64) -> Bool { lock.withReadLock { rowOfID[id] != nil } }

    /// A copy of the stored vector (D) for `id`.
    public func vector(id: UInt64) -> [Float]? {
        lock.withReadLock {
            guard let row = rowOfID[id] else { return nil }
            return Array(UnsafeBufferPointer(start: matrix + row * dimension, count: dimension))
        }
    }

    /// Every id held, in row order.
    public var allIDs: [UInt64] { lock.withReadLock { ids } }

    /// Inserts or replaces vectors (each (D)) under one lock; `mtimeNanoseconds`
    /// is the date `SearchFilter.dateRange` sees (taken, else mtime).
    public func upsert(_ entries: [(id: UInt64, vector: [Float], mtimeNanoseconds: Int64)]) throws {
        for entry in entries { try validate(entry.vector, what: "vector of photo \(entry.id)") }
        lock.withWriteLock {
            for entry in entries { store(id: entry.id, vector: entry.vector, mtime: entry.mtimeNanoseconds) }
        }
    }

    public func upsert(id: UInt64, vector: [Float], mtimeNanoseconds: Int64 = 0) throws {
        try upsert([(id, vector, mtimeNanoseconds)])
    }

    /// Removes ids (unknown ids are ignored); returns how many were removed.
    @discardableResult
    public func remove(ids removed: [UInt64]) -> Int {
        lock.withWriteLock { removed.reduce(0) { $0 + (removeRow(id: $1) ? 1 : 0) } }
    }

    @discardableResult
    public func remove(id: UInt64) -> Bool { remove(ids: [id]) == 1 }

    public func removeAll() {
        lock.withWriteLock {
            ids.removeAll()
            mtimes.removeAll()
            rowOfID.removeAll()
        }
    }

    /// The best `k` hits for query (D), best first (ties: smaller id first).
    /// Fewer than `k` when fewer vectors pass the filter.
    public func search(_ query: [Float], k: Int, filter: SearchFilter? = nil) throws -> [SearchHit] {
        try validate(query, what: "query")
        guard k > 0 else { return [] }
        return lock.withReadLock {
            let n = ids.count
            guard n > 0 else { return [] }
            if let filter, let allowed = filter.allowedIDs, allowed.count * Self.sparseFilterRatio < n {
                return searchAllowedRows(query, k: k, allowed: allowed, filter: filter)
            }
            // scores (N) = matrix (N,D) · query (D)
            let scores = [Float](unsafeUninitializedCapacity: n) { buffer, initialized in
                cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(n), Int32(dimension), 1,
                            matrix, Int32(dimension), query, 1, 0, buffer.baseAddress, 1)
                initialized = n
            }
            return scores.withUnsafeBufferPointer { select(scores: $0, k: k, filter: filter) }
        }
    }

    /// The best hits for query (D), best first, at least `k` of them and more
    /// until `enough` accepts the list (or every photo passing the filter is
    /// in it): for callers that fold several hits into one result. The
    /// matrix is scored once; only the selection is repeated, widening each time.
    public func search(_ query: [Float], k: Int, filter: SearchFilter? = nil,
                       widenUntil enough: ([SearchHit]) -> Bool) throws -> [SearchHit] {
        try validate(query, what: "query")
        guard k > 0 else { return [] }
        return lock.withReadLock {
            let n = ids.count
            guard n > 0 else { return [] }
            var asked = min(k, n)
            if let filter, let allowed = filter.allowedIDs, allowed.count * Self.sparseFilterRatio < n {
                while true {
                    let hits = searchAllowedRows(query, k: asked, allowed: allowed, filter: filter)
                    if hits.count < asked || asked >= n || enough(hits) { return hits }
                    asked = min(n, asked * 2)
                }
            }
            let scores = [Float](unsafeUninitializedCapacity: n) { buffer, initialized in
                cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(n), Int32(dimension), 1,
                            matrix, Int32(dimension), query, 1, 0, buffer.baseAddress, 1)
                initialized = n
            }
            return scores.withUnsafeBufferPointer { scores in
                while true {
                    let hits = select(scores: scores, k: asked, filter: filter)
                    if hits.count < asked || asked >= n || enough(hits) { return hits }
                    asked = min(n, asked * 2)
                }
            }
        }
    }

    /// The best `k` hits for each query (Q of them, each (D)) with one
    /// `cblas_sgemm` per block of queries.
    public func search(queries: [[Float]], k: Int, filter: SearchFilter? = nil) throws -> [[SearchHit]] {
        for query in queries { try validate(query, what: "query") }
        guard k > 0 else { return queries.map { _ in [] } }
        return lock.withReadLock {
            let n = ids.count
            guard n > 0 else { return queries.map { _ in [] } }
            let block = max(1, min(queries.count, Self.batchScoreBudget / n))
            var results: [[SearchHit]] = []
            results.reserveCapacity(queries.count)
            var scores = [Float](repeating: 0, count: block * n)
            var packed = [Float](repeating: 0, count: block * dimension)
            var start = 0
            while start < queries.count {
                let q = min(block, queries.count - start)
                for i in 0..<q { packed.replaceSubrange(i * dimension..<(i + 1) * dimension, with: queries[start + i]) }
                // scores (Q,N) = packed (Q,D) · matrix (N,D)ᵀ
                scores.withUnsafeMutableBufferPointer { out in
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(q), Int32(n), Int32(dimension),
                                1, packed, Int32(dimension), matrix, Int32(dimension), 0, out.baseAddress, Int32(n))
                }
                scores.withUnsafeBufferPointer { all in
                    for i in 0..<q {
                        let row = UnsafeBufferPointer(rebasing: all[i * n..<(i + 1) * n])
                        results.append(select(scores: row, k: k, filter: filter))
                    }
                }
                start += q
            }
            return results
        }
    }

    /// Below 1/8 of the rows, scoring only the allowed rows (one dot product
    /// each) reads less memory than one pass over the whole matrix.
    static let sparseFilterRatio = 8

    // MARK: - Internals (callers hold the lock)

    /// query (D) against only the rows of `allowed`; the heap's total order
    /// (score, then id) makes the result independent of the set's order.
    private func searchAllowedRows(_ query: [Float], k: Int, allowed: Set<UInt64>, filter: SearchFilter) -> [SearchHit] {
        var selector = TopKSelector(k: k)
        for id in allowed {
            guard let row = rowOfID[id], filter.allows(id: id, mtime: mtimes[row]) else { continue }
            let score = cblas_sdot(Int32(dimension), matrix + row * dimension, 1, query, 1)
            selector.offer(id: id, score: score)
        }
        return selector.sortedHits()
    }

    private func select(scores: UnsafeBufferPointer<Float>, k: Int, filter: SearchFilter?) -> [SearchHit] {
        var selector = TopKSelector(k: k)
        if let filter {
            for row in 0..<scores.count where filter.allows(id: ids[row], mtime: mtimes[row]) {
                selector.offer(id: ids[row], score: scores[row])
            }
        } else {
            for row in 0..<scores.count { selector.offer(id: ids[row], score: scores[row]) }
        }
        return selector.sortedHits()
    }

    private func validate(_ vector: [Float], what: String) throws {
        guard vector.count == dimension else {
            throw IndexError(.dimensionMismatch, "\(what) has \(vector.count) values, the index holds \(dimension)-d vectors")
        }
        guard vector.allSatisfy(\.isFinite) else {
            throw IndexError(.invalidArgument, "\(what) contains NaN or infinity")
        }
    }

    private func store(id: UInt64, vector: [Float], mtime: Int64) {
        let row: Int
        if let existing = rowOfID[id] {
            row = existing
            mtimes[row] = mtime
        } else {
            if ids.count == capacity { grow() }
            row = ids.count
            ids.append(id)
            mtimes.append(mtime)
            rowOfID[id] = row
        }
        vector.withUnsafeBufferPointer { (matrix + row * dimension).update(from: $0.baseAddress!, count: dimension) }
    }

    private func removeRow(id: UInt64) -> Bool {
        guard let row = rowOfID.removeValue(forKey: id) else { return false }
        let last = ids.count - 1
        if row != last {
            (matrix + row * dimension).update(from: matrix + last * dimension, count: dimension)
            ids[row] = ids[last]
            mtimes[row] = mtimes[last]
            rowOfID[ids[row]] = row
        }
        ids.removeLast()
        mtimes.removeLast()
        return true
    }

    private func grow() {
        let newCapacity = capacity * 2
        let bigger = UnsafeMutablePointer<Float>.allocate(capacity: newCapacity * dimension)
        bigger.moveInitialize(from: matrix, count: ids.count * dimension)
        matrix.deallocate()
        matrix = bigger
        capacity = newCapacity
    }
}
