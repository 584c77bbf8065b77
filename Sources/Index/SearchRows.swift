internal import CVectorScan

/// The rows `VectorSearch` scans, struct-of-arrays: each row's int8 codes
/// (`Quantizer`) split in two nibble planes, a scale per row, the id and
/// filter date per row and, when the search keeps its own exact vectors,
/// their Float32 copies (N, D).
///
/// A code c in [-127, 127] is 16·h + l with h = c >> 4 in [-8, 7] and
/// l = c & 15: `high` holds h + 8, `low` holds l, two values a byte. The first
/// pass reads only `high` (D/2 bytes a row: 192 MB for a million 384-d
/// photos, an eighth of Float32 rows); `low` is read for the shortlist
/// alone, which recovers the exact int8 dot product.
/// Not thread-safe: `VectorSearch` guards it with its lock.
struct SearchRows {
    let dimension: Int
    /// Bytes per row in each plane (two values a byte; an odd D gets a zero pad).
    let rowBytes: Int
    let keepsExactVectors: Bool
    private(set) var high: UnsafeMutablePointer<UInt8>
    private(set) var low: UnsafeMutablePointer<UInt8>
    private(set) var exact: UnsafeMutablePointer<Float>?
    private(set) var capacity: Int
    private(set) var scales: [Float] = []
    private(set) var ids: [UInt64] = []
    private(set) var dates: [Int64] = []
    private(set) var rowOfID: [UInt64: Int] = [:]

    init(dimension: Int, capacity: Int, keepsExactVectors: Bool) {
        self.dimension = dimension
        rowBytes = (dimension + 1) / 2
        self.keepsExactVectors = keepsExactVectors
        self.capacity = max(capacity, 16)
        high = .allocate(capacity: self.capacity * rowBytes)
        low = .allocate(capacity: self.capacity * rowBytes)
        exact = keepsExactVectors ? .allocate(capacity: self.capacity * dimension) : nil
    }

    /// Frees the buffers (the owner calls it once, from deinit).
    func deallocate() {
        high.deallocate()
        low.deallocate()
        exact?.deallocate()
    }

    var count: Int { ids.count }

    func high(row: Int) -> UnsafePointer<UInt8> { UnsafePointer(high + row * rowBytes) }
    func low(row: Int) -> UnsafePointer<UInt8> { UnsafePointer(low + row * rowBytes) }

    /// Bytes the rows take in memory.
    var memoryBytes: Int { capacity * (2 * rowBytes + (keepsExactVectors ? 4 * dimension : 0) + 20) }

    func exactVector(row: Int) -> [Float]? {
        guard let exact else { return nil }
        return Array(UnsafeBufferPointer(start: exact + row * dimension, count: dimension))
    }

    /// Room for `total` rows without regrowing (a load knows its count).
    mutating func reserve(_ total: Int) {
        if total > capacity { resize(to: total) }
        ids.reserveCapacity(total)
        dates.reserveCapacity(total)
        scales.reserveCapacity(total)
        rowOfID.reserveCapacity(total)
    }

    mutating func store(id: UInt64, vector: [Float], date: Int64) {
        vector.withUnsafeBufferPointer { store(id: id, vector: $0, date: date) }
    }

    mutating func store(id: UInt64, vector: UnsafeBufferPointer<Float>, date: Int64) {
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
        scales[row] = pq_quantize_planes(vector.baseAddress, dimension, high + row * rowBytes, low + row * rowBytes)
        exact.map { ($0 + row * dimension).update(from: vector.baseAddress!, count: dimension) }
    }

    /// Stores a row already quantised (`SearchRowCoding`: `rowBytes` bytes
    /// in each plane), as the start-up load reads them; only for a search
    /// that reads exact vectors from its source.
    mutating func store(id: UInt64, scale: Float, high planeHigh: UnsafeRawBufferPointer,
                        low planeLow: UnsafeRawBufferPointer, date: Int64) {
        precondition(!keepsExactVectors && planeHigh.count == rowBytes && planeLow.count == rowBytes,
                     "stored rows need an exact-vector source and \(rowBytes)-byte planes")
        // One hash lookup for a new id (the load's case), two for a known one.
        var row = ids.count
        if let existing = rowOfID.updateValue(row, forKey: id) {
            rowOfID[id] = existing
            row = existing
            dates[row] = date
            scales[row] = scale
        } else {
            if ids.count == capacity { resize(to: capacity * 2) }
            ids.append(id)
            dates.append(date)
            scales.append(scale)
        }
        UnsafeMutableRawPointer(high + row * rowBytes).copyMemory(from: planeHigh.baseAddress!, byteCount: rowBytes)
        UnsafeMutableRawPointer(low + row * rowBytes).copyMemory(from: planeLow.baseAddress!, byteCount: rowBytes)
    }

    /// Swaps the last row into the hole (O(1)).
    mutating func remove(id: UInt64) -> Bool {
        guard let row = rowOfID.removeValue(forKey: id) else { return false }
        let last = ids.count - 1
        if row != last {
            (high + row * rowBytes).update(from: high + last * rowBytes, count: rowBytes)
            (low + row * rowBytes).update(from: low + last * rowBytes, count: rowBytes)
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
        func moved(_ plane: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
            let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity * rowBytes)
            bigger.moveInitialize(from: plane, count: ids.count * rowBytes)
            plane.deallocate()
            return bigger
        }
        high = moved(high)
        low = moved(low)
        if let old = exact {
            let biggerExact = UnsafeMutablePointer<Float>.allocate(capacity: newCapacity * dimension)
            biggerExact.moveInitialize(from: old, count: used)
            old.deallocate()
            exact = biggerExact
        }
        capacity = newCapacity
    }
}
