/// One search result: a photo id and its score (the dot product with the
/// query; cosine similarity for unit-length vectors).
public struct SearchHit: Sendable, Equatable, CustomStringConvertible {
    public let id: UInt64
    public let score: Float

    public init(id: UInt64, score: Float) {
        self.id = id
        self.score = score
    }

    /// The ranking order: higher score first, ties broken by smaller id so
    /// results are deterministic.
    @inline(__always)
    public static func ranksBefore(_ a: SearchHit, _ b: SearchHit) -> Bool {
        a.score > b.score || (a.score == b.score && a.id < b.id)
    }

    public var description: String { "\(id):\(score)" }
}

/// Keeps the best `k` of a stream of hits in a k-sized binary heap whose
/// root is the worst kept hit: O(n log k) and, for the common case of a hit
/// that is no better than the root, a single comparison.
struct TopKSelector {
    let k: Int
    private(set) var heap: [SearchHit] = []

    init(k: Int) {
        self.k = max(k, 0)
        heap.reserveCapacity(self.k)
    }

    /// Whether `offer` would keep this hit now: lets a scan test a filter
    /// only for the few rows good enough to matter.
    @inline(__always)
    func wouldKeep(id: UInt64, score: Float) -> Bool {
        heap.count < k || (k > 0 && SearchHit.ranksBefore(SearchHit(id: id, score: score), heap[0]))
    }

    @inline(__always)
    mutating func offer(id: UInt64, score: Float) {
        let hit = SearchHit(id: id, score: score)
        if heap.count < k {
            heap.append(hit)
            siftUp(heap.count - 1)
        } else if k > 0, SearchHit.ranksBefore(hit, heap[0]) {
            heap[0] = hit
            siftDown(0)
        }
    }

    /// The kept hits, best first.
    func sortedHits() -> [SearchHit] { heap.sorted(by: SearchHit.ranksBefore) }

    // The heap order: a parent ranks *after* (is worse than) its children.
    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard SearchHit.ranksBefore(heap[parent], heap[child]) else { return }
            heap.swapAt(parent, child)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        let count = heap.count
        while true {
            let left = 2 * parent + 1
            guard left < count else { return }
            var worst = left
            let right = left + 1
            if right < count, SearchHit.ranksBefore(heap[left], heap[right]) { worst = right }
            guard SearchHit.ranksBefore(heap[parent], heap[worst]) else { return }
            heap.swapAt(parent, worst)
            parent = worst
        }
    }
}
