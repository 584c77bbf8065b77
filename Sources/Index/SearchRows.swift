/// The rows `VectorSearch` scans, struct-of-arrays: int8 codes (N, D) and a
/// scale per row, the id and filter date per row, and, when the search keeps
/// its own exact vectors, their Float32 copies (N, D). At a million 384-d
/// photos the codes take 384 MB where Float32 rows took 1.5 GB.
/// Not thread-safe: `VectorSearch` guards it with its lock.
struct SearchRows {
    let dimension: Int
    let keepsExactVectors: Bool
    private(set) var codes: UnsafeMutablePointer<Int8>
    private(set) var exact: UnsafeMutablePointer<Float>?
    private(set) var capacity: Int
    private(set) var scales: [Float] = []
    private(set) var ids: [UInt64] = []
    private(set) var dates: [Int64] = []
    private(set) var rowOfID: [UInt64: Int] = [:]

    init(dimension: Int, capacity: Int, keepsExactVectors: Bool) {
        self.dimension = dimension
        self.keepsExactVectors = keepsExactVectors
        self.capacity = max(capacity, 16)
        codes = .allocate(capacity: self.capacity * dimension)
        exact = keepsExactVectors ? .allocate(capacity: self.capacity * dimension) : nil
    }

    /// Frees the buffers (the owner calls it once, from deinit).
    func deallocate() {
        codes.deallocate()
        exact?.deallocate()
    }

    var count: Int { ids.count }

    func codes(row: Int) -> UnsafePointer<Int8> { UnsafePointer(codes + row * dimension) }

    func exactVector(row: Int) -> [Float]? {
        guard let exact else { return nil }
        return Array(UnsafeBufferPointer(start: exact + row * dimension, count: dimension))
    }

    /// Room for `total` rows without regrowing (a load knows its count).
    mutating func reserve(_ total: Int) {
        if total > capacity { resize(to: total) }
    }

    mutating func store(id: UInt64, vector: [Float], date: Int64) {
        let row: Int
        if let existing = rowOfID[id] {
            row = existing
            dates[row] = date
        } else {
            if ids.count == capacity { resize(to: capacity * 2) }
            row = ids.count
            ids.append(id)
            dates.append(date)
            scales.append(0)
            rowOfID[id] = row
        }
        vector.withUnsafeBufferPointer { v in
            scales[row] = Quantizer.quantize(v, into: codes + row * dimension)
            exact.map { ($0 + row * dimension).update(from: v.baseAddress!, count: dimension) }
        }
    }

    /// Swaps the last row into the hole (O(1)).
    mutating func remove(id: UInt64) -> Bool {
        guard let row = rowOfID.removeValue(forKey: id) else { return false }
        let last = ids.count - 1
        if row != last {
            (codes + row * dimension).update(from: codes + last * dimension, count: dimension)
            exact.map { ($0 + row * dimension).update(from: $0 + last * dimension, count: dimension) }
            ids[row] = ids[last]
            dates[row] = dates[last]
            scales[row] = scales[last]
            rowOfID[ids[row]] = row
        }
        ids.removeLast()
        dates.removeLast()
        scales.removeLast()
        return true
    }

    mutating func removeAll() {
        ids.removeAll()
        dates.removeAll()
        scales.removeAll()
        rowOfID.removeAll()
    }

    private mutating func resize(to newCapacity: Int) {
        let used = ids.count * dimension
        let bigger = UnsafeMutablePointer<Int8>.allocate(capacity: newCapacity * dimension)
        bigger.moveInitialize(from: codes, count: used)
        codes.deallocate()
        codes = bigger
        if let old = exact {
            let biggerExact = UnsafeMutablePointer<Float>.allocate(capacity: newCapacity * dimension)
            biggerExact.moveInitialize(from: old, count: used)
            old.deallocate()
            exact = biggerExact
        }
        capacity = newCapacity
    }
}
