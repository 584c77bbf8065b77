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
    /// What the picture at `out` shows (nil: the combined map alone).
    public var picture: Picture = .combined

    /// The picture written next to the report.
    public enum Picture: Equatable, Sendable {
        case combined
        /// The combined map and one tile per word, in query order.
        case strip
        /// One word's map.
        case word(String)
    }

    public init(image: String, id: UInt64? = nil, query: String, target: String, explanation: Explanation,
                photoWidth: Int, photoHeight: Int, out: String, gridSide: Int, picture: Picture = .combined) {
        self.image = image
        self.id = id
        self.query = query
        self.target = target
        self.explanation = explanation
        self.photoWidth = photoWidth
        self.photoHeight = photoHeight
        self.out = out
        self.gridSide = gridSide
        self.picture = picture
    }

    /// Colour only on a terminal, and never with NO_COLOR set (no-color.org).
    public static var useColor: Bool {
        isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"].map(\.isEmpty) ?? true
    }

    /// The peak of the combined map in photo pixels.
    public var peak: (x: Int, y: Int) { peak(of: explanation.map) }

    /// A map's peak (`SaliencyMap.peak`) in photo pixels, the grid covering the whole photo.
    public func peak(of map: SaliencyMap) -> (x: Int, y: Int) {
        let (cx, cy) = map.peak
        return (min(photoWidth - 1, Int(cx * Double(photoWidth) / Double(map.width))),
                min(photoHeight - 1, Int(cy * Double(photoHeight) / Double(map.height))))
    }

    /// "upper left", "centre", … for a point of the photo.
    func region(_ point: (x: Int, y: Int)) -> String {
        let column = ["left", "middle", "right"][min(2, point.x * 3 / max(photoWidth, 1))]
        let row = ["top", "middle", "bottom"][min(2, point.y * 3 / max(photoHeight, 1))]
        if row == "middle" && column == "middle" { return "the centre" }
        if row == "middle" { return "the \(column) side" }
        if column == "middle" { return "the \(row)" }
        return "the \(row) \(column)"
    }

    func percent(_ share: Float) -> String { "\(Int((share * 100).rounded()))%" }

    public func text(color: Bool) -> String {
        var lines: [String] = []
        let quoted = "\"\(query)\""
        let p = peak
        switch explanation.method {
        case .centre:
            lines.append("The picture marks the centre of the photo, a reference point rather than an explanation of \(quoted).")
        default:
            lines.append("The bright part of the picture is \(explanation.method.plainDescription) \(quoted): "
                         + "strongest in \(region(p)), around x \(p.x), y \(p.y) of the \(photoWidth)×\(photoHeight) photo.")
        }
        let strongest = explanation.wordScores.indices.max { explanation.wordScores[$0] < explanation.wordScores[$1] }
        if !explanation.words.isEmpty {
            lines.append(explanation.perWord.isEmpty ? "How much each word counts:" : "How much of that each word explains:")
            let width = explanation.words.map(\.count).max() ?? 0
            for (i, word) in explanation.words.enumerated() {
                var item = "  " + word.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                    + percent(explanation.wordScores[i]).leftPadded(4)
                if i < explanation.perWord.count {
                    let wp = peak(of: explanation.perWord[i].map)
                    item += "  looks most like \(word) in \(region(wp)), around x \(wp.x), y \(wp.y)"
                }
                lines.append(color && i == strongest ? "\u{1B}[1;31m\(item)\u{1B}[0m" : item)
            }
        }
        if let share = explanation.imageShare {
            lines.append("The photo itself carries \(percent(share)) of the evidence, the words the rest.")
        }
        let what = explanation.perWord.isEmpty ? "match score" : "match score (similarity of photo and words, −1 to 1)"
        lines.append("\(what.prefix(1).uppercased() + what.dropFirst()): " + String(format: "%.3f", explanation.score) + ".")
        switch picture {
        case .combined: lines.append("Saved the picture to \(out)")
        case .strip: lines.append("Saved the whole query and each word, left to right, to \(out)")
        case let .word(word): lines.append("Saved where the photo looks like \"\(word)\" to \(out)")
        }
        return lines.joined(separator: "\n")
    }

    /// The maps the picture shows, left to right, with their labels.
    public var tiles: [(label: String, map: SaliencyMap)] {
        switch picture {
        case .combined:
            return [("whole query", explanation.map)]
        case .strip:
            return [("whole query", explanation.map)] + explanation.perWord.map {
                ("\($0.word) " + percent($0.score), $0.map)
            }
        case let .word(word):
            return explanation.word(word).map { [("\($0.word) " + percent($0.score), $0.map)] } ?? []
        }
    }

    /// A map as rows scaled to a peak of 1, mean-pooled to at most gridSide a side.
    func grid(_ map: SaliencyMap) -> [String: Any] {
        let small = map.normalized().downsampled(maxSide: gridSide)
        let rows = (0..<small.height).map { y in
            (0..<small.width).map { x in (Double(small.values[y * small.width + x]) * 1e4).rounded() / 1e4 }
        }
        return ["width": small.width, "height": small.height, "values": rows]
    }

    public func json() throws -> String {
        let words: [[String: Any]] = explanation.words.enumerated().map { i, word in
            var item: [String: Any] = ["word": word, "score": Double(explanation.wordScores[i])]
            if i < explanation.perWord.count {
                let map = explanation.perWord[i].map
                let wp = peak(of: map)
                item["peak"] = ["x": wp.x, "y": wp.y]
                item["grid"] = grid(map)
            }
            return item
        }
        var object: [String: Any] = [
            "version": 1, "image": image, "query": query, "target": target,
            "method": explanation.method.rawValue, "score": Double(explanation.score),
            "words": words, "grid": grid(explanation.map),
            "peak": ["x": peak.x, "y": peak.y], "out": out,
            "photo": ["width": photoWidth, "height": photoHeight],
        ]
        if let id { object["id"] = id }
        if let share = explanation.imageShare { object["image_share"] = Double(share) }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }
}

private extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
