import Foundation

/// What an explanation prints: text for a person, or one versioned JSON
/// document. Shared by `photoq --explain` and `photoq-model explain`.
public struct ExplanationReport {
    public let image: String
    /// The photo's index id when it came from photoqd.
    public let id: UInt64?
    public let query: String
    public let target: String
    public let explanation: Explanation
    public let photoWidth: Int, photoHeight: Int
    public let out: String
    /// Largest side of the JSON grid.
    public let gridSide: Int

    public init(image: String, id: UInt64? = nil, query: String, target: String, explanation: Explanation,
                photoWidth: Int, photoHeight: Int, out: String, gridSide: Int) {
        self.image = image
        self.id = id
        self.query = query
        self.target = target
        self.explanation = explanation
        self.photoWidth = photoWidth
        self.photoHeight = photoHeight
        self.out = out
        self.gridSide = gridSide
    }

    /// Colour only on a terminal, and never with NO_COLOR set (no-color.org).
    public static var useColor: Bool {
        isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"].map(\.isEmpty) ?? true
    }

    /// The peak of the map in photo pixels (cell centre, the grid covering the whole photo).
    public var peak: (x: Int, y: Int) {
        let (cx, cy) = explanation.map.argmax
        return (Int((Double(cx) + 0.5) * Double(photoWidth) / Double(explanation.map.width)),
                Int((Double(cy) + 0.5) * Double(photoHeight) / Double(explanation.map.height)))
    }

    public func text(color: Bool) -> String {
        var lines: [String] = []
        let strongest = explanation.wordScores.indices.max { explanation.wordScores[$0] < explanation.wordScores[$1] }
        if !explanation.words.isEmpty {
            let words = explanation.words.enumerated().map { i, word in
                let item = "\(word) " + String(format: "%.2f", explanation.wordScores[i])
                return color && i == strongest ? "\u{1B}[1;31m\(item)\u{1B}[0m" : item
            }
            lines.append(words.joined(separator: "  "))
        }
        var summary = "\(explanation.method.rawValue) on \(target): score " + String(format: "%.3f", explanation.score)
        if let share = explanation.imageShare { summary += String(format: ", image share %.2f", share) }
        summary += ", peak at (\(peak.x), \(peak.y)) of \(photoWidth)×\(photoHeight)"
        lines.append(summary)
        lines.append("wrote \(out)")
        return lines.joined(separator: "\n")
    }

    public func json() throws -> String {
        let small = explanation.map.normalized().downsampled(maxSide: gridSide)
        let rows = (0..<small.height).map { y in
            (0..<small.width).map { x in (Double(small.values[y * small.width + x]) * 1e4).rounded() / 1e4 }
        }
        var object: [String: Any] = [
            "version": 1, "image": image, "query": query, "target": target,
            "method": explanation.method.rawValue, "score": Double(explanation.score),
            "words": explanation.words.enumerated().map { ["word": $1, "score": Double(explanation.wordScores[$0])] },
            "grid": ["width": small.width, "height": small.height, "values": rows],
            "peak": ["x": peak.x, "y": peak.y], "out": out,
            "photo": ["width": photoWidth, "height": photoHeight],
        ]
        if let id { object["id"] = id }
        if let share = explanation.imageShare { object["image_share"] = Double(share) }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }
}
