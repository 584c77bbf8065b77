// Per-word explanations in the joint space. Each content word w (stop words
// dropped) gets the cell weighting of its own text embedding θ(w): where the
// photo looks like that word. Its score is the share of the combined map
// that lies where the word's map is:
//
//     score_w = ⟨M, M_w⟩ / Σ_v ⟨M, M_v⟩,
//
// M the combined map pooled to the cell grid, M and M_w each summing to 1.
// So the word with the top score is, by construction, the one whose map
// covers the most of the combined map (the rule README's explain section states).

public enum WordMaps {
    /// The query's content words in order: stop words dropped (all words when
    /// every one is a stop word), repeats kept once.
    public static func contentWords(_ query: String) -> [String] {
        let tokens = QueryTokenizer.tokenize(query)
        let content = tokens.filter { !StopWords.english.contains($0) }
        var seen = Set<String>()
        return (content.isEmpty ? tokens : content).filter { seen.insert($0).inserted }
    }

    /// The combined map summed onto the cell grid (width×height) and scaled to sum 1.
    /// A finer map must be an integer multiple of the grid (14×14 → 7×7).
    static func onCells(_ map: SaliencyMap, width: Int, height: Int) throws -> [Float] {
        guard map.width % width == 0, map.height % height == 0 else {
            throw SaliencyError(.shapeMismatch, "map \(map.width)×\(map.height) does not cover the \(width)×\(height) cells evenly")
        }
        let (fx, fy) = (map.width / width, map.height / height)
        var cells = [Float](repeating: 0, count: width * height)
        for y in 0..<map.height { for x in 0..<map.width { cells[(y / fy) * width + x / fx] += max(map.values[y * map.width + x], 0) } }
        let total = cells.reduce(0, +)
        return total > 0 ? cells.map { $0 / total } : cells
    }

    /// score_w for word maps (each R, summing to 1) against the combined cells (R).
    static func scores(combined: [Float], wordMaps: [[Float]]) -> [Float] {
        let overlaps = wordMaps.map { zip($0, combined).reduce(Float(0)) { $0 + $1.0 * $1.1 } }
        let total = overlaps.reduce(0, +)
        guard total > 0 else { return overlaps.map { _ in 1 / Float(max(overlaps.count, 1)) } }
        return overlaps.map { $0 / total }
    }
}
