import Foundation

/// The pointing game (Zhang et al.; TorchRay's protocol): for each photo and
/// each object category present, a saliency method "points" at one pixel; a
/// hit when that pixel lies within `tolerance` pixels of a ground-truth box of
/// the category.
public struct PointingGame: Sendable {
    /// One (photo, category) query with its boxes in photo pixels.
    public struct Query: Sendable {
        public let fileName: String
        public let width: Int, height: Int
        public let category: String
        /// Boxes (x, y, width, height), COCO convention.
        public let boxes: [(x: Double, y: Double, width: Double, height: Double)]
    }

    public static let defaultTolerance = 15.0
    public let queries: [Query]

    /// Reads COCO-format instances (images, annotations with bbox, categories);
    /// crowd annotations count as boxes too, as in TorchRay.
    public init(instancesPath path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PointingGameError.unreadable(path: path)
        }
        let file: Instances
        do { file = try JSONDecoder().decode(Instances.self, from: data) } catch {
            throw PointingGameError.malformed(path: path, reason: "\(error)")
        }
        let names = Dictionary(file.categories.map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
        var boxes: [Int: [Int: [(Double, Double, Double, Double)]]] = [:]
        for a in file.annotations where a.bbox.count == 4 {
            boxes[a.image_id, default: [:]][a.category_id, default: []].append((a.bbox[0], a.bbox[1], a.bbox[2], a.bbox[3]))
        }
        var queries: [Query] = []
        for image in file.images.sorted(by: { $0.file_name < $1.file_name }) {
            for (category, list) in (boxes[image.id] ?? [:]).sorted(by: { $0.key < $1.key }) {
                guard let name = names[category] else { continue }
                queries.append(Query(fileName: image.file_name, width: image.width, height: image.height,
                                     category: name, boxes: list.map { (x: $0.0, y: $0.1, width: $0.2, height: $0.3) }))
            }
        }
        self.queries = queries
    }

    /// Whether point (x, y) in photo pixels lies within `tolerance` of any box.
    public static func isHit(x: Double, y: Double, boxes: [(x: Double, y: Double, width: Double, height: Double)],
                             tolerance: Double = defaultTolerance) -> Bool {
        boxes.contains { box in
            let dx = max(box.x - x, 0, x - (box.x + box.width))
            let dy = max(box.y - y, 0, y - (box.y + box.height))
            return (dx * dx + dy * dy).squareRoot() <= tolerance
        }
    }

    /// Hits per query and per category of one method, with the pointing
    /// game's two accuracies: over queries, and the mean over categories
    /// (each category counts once, as in TorchRay's COCO figures).
    public struct Tally: Sendable {
        public private(set) var hits = 0, queries = 0
        private var byCategory: [String: (hits: Int, queries: Int)] = [:]

        public init() {}

        public mutating func add(category: String, hit: Bool) {
            queries += 1
            if hit { hits += 1 }
            byCategory[category, default: (0, 0)].queries += 1
            if hit { byCategory[category, default: (0, 0)].hits += 1 }
        }

        /// Hits over queries.
        public var accuracy: Double { queries > 0 ? Double(hits) / Double(queries) : 0 }
        /// Its binomial standard error √(p(1−p)/n).
        public var standardError: Double {
            queries > 0 ? (accuracy * (1 - accuracy) / Double(queries)).squareRoot() : 0
        }
        public var categories: Int { byCategory.count }
        /// The mean of the per-category accuracies.
        public var accuracyPerCategory: Double {
            guard !byCategory.isEmpty else { return 0 }
            return byCategory.values.reduce(0) { $0 + Double($1.hits) / Double($1.queries) } / Double(byCategory.count)
        }
        /// Standard error of that mean: √(Σ_c p_c(1−p_c)/n_c) / C.
        public var standardErrorPerCategory: Double {
            guard !byCategory.isEmpty else { return 0 }
            let variance = byCategory.values.reduce(0.0) { total, c in
                let p = Double(c.hits) / Double(c.queries)
                return total + p * (1 - p) / Double(c.queries)
            }
            return variance.squareRoot() / Double(byCategory.count)
        }
    }

    private struct Instances: Decodable {
        struct Image: Decodable { let id: Int; let file_name: String; let width: Int; let height: Int }
        struct Annotation: Decodable { let image_id: Int; let category_id: Int; let bbox: [Double] }
        struct Category: Decodable { let id: Int; let name: String }
        let images: [Image]
        let annotations: [Annotation]
        let categories: [Category]
    }
}

public enum PointingGameError: Error, CustomStringConvertible {
    case unreadable(path: String)
    case malformed(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(path): return "cannot read \(path)"
        case let .malformed(path, reason): return "\(path) is not COCO instances JSON: \(reason)"
        }
    }
}
