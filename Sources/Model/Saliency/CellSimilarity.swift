import Foundation

// Where the query meets the image, cell by cell. Each cell r of the head map
// (7×7×1280) is embedded as the photo is, but alone: its class scores
// l_r = FC a_r + bias (the classifier is linear, so the pooled logits are the
// mean of the cells'), its bridge vector b(l_r), and φ_r = normalise(b(l_r) +
// W a_r + c). For the pooled model this is CAM applied to φ: the linear
// parts (FC, W) commute with the average pool, while the bridge's softmax,
// top-T and the normalisations are applied per cell, so Σ_r φ_r is not φ.
// A query's cosine with each φ_r says which cells look like what it names;
// the cells' class scores weighted by the classes the query names (class
// activation mapping) localise more sharply. CellScore picks the mix; the
// pointing game chose `classes` (docs/quality.md): alone, the cosine points
// worse than the photo's centre.
// The explainer reads these cells from the photo's tiles (3×3 overlapping: a 14×14 grid)
// when it has them, else from the whole photo's 7×7 head map.

/// Per-cell joint embeddings of one photo: R = height × width cells.
public struct CellSpace: Sendable {
    public let width: Int, height: Int
    /// φ_r (R,D), unit rows.
    public let embeddings: [Float]
    /// The head map a (C,R), channel-major as the pooling layer's input.
    public let head: [Float]
    /// Each cell's class scores (R,K).
    public let logits: [Float]
    public let dimension: Int
    /// W a_r (R,D): each cell through the learned linear map alone.
    public let direct: [Float]
    /// The bridge's class texts C (K,D).
    let classText: [Float]
    public var cells: Int { width * height }

    /// head a (C,R) channel-major, classifier (K,C), bias (K).
    public init(model: JointModel, head: [Float], width: Int, height: Int,
                classifier: [Float], classifierBias: [Float]) throws {
        let (c, k, r) = (model.parameters.featureWidth, model.bridge.classCount, width * height)
        try SaliencyError.check("head map (C,R)", head.count, c * r)
        try SaliencyError.check("classifier (K,C)", classifier.count, k * c)
        try SaliencyError.check("classifier bias", classifierBias.count, k)
        // g (R,C) = aᵀ; l (R,K) = g FCᵀ + bias.
        var grid = [Float](repeating: 0, count: r * c)
        for ch in 0..<c { for p in 0..<r { grid[p * c + ch] = head[ch * r + p] } }
        var logits = matmul(grid, classifier, m: r, n: k, k: c, transposeB: true)
        for p in 0..<r { for j in 0..<k { logits[p * k + j] += classifierBias[j] } }
        self.width = width
        self.height = height
        self.head = head
        self.logits = logits
        self.dimension = model.dimension
        embeddings = model.cellEmbeddings(grid: grid, cellLogits: logits, cells: r)
        direct = matmul(grid, model.parameters.imageWeight, m: r, n: model.dimension, k: c, transposeB: true)
        classText = model.bridge.classText
    }

    /// The cells' scores (R) for θ by `kind`; `.classes` reads θ as its
    /// `classes` nearest class texts, softmax-weighted at `temperature`.
    public func scores(_ theta: [Float], kind: CellScore, classes: Int = CellWeighting().classCount,
                       temperature: Float = CellWeighting().classTemperature) throws -> [Float] {
        try SaliencyError.check("query embedding", theta.count, dimension)
        let (d, k) = (dimension, classText.count / dimension)
        switch kind {
        case .cosine: return matmul(embeddings, theta, m: cells, n: 1, k: d)
        case .direct: return matmul(direct, theta, m: cells, n: 1, k: d)
        case .classes, .both:
            let alignment = matmul(classText, theta, m: k, n: 1, k: d)
            let best = alignment.indices.sorted { alignment[$0] > alignment[$1] }.prefix(max(classes, 1))
            var q = [Float](repeating: 0, count: k)
            for c in best { q[c] = Foundation.exp((alignment[c] - alignment[best.first!]) / max(temperature, 1e-6)) }
            let total = q.reduce(0, +)
            var out = matmul(logits, q.map { $0 / total }, m: cells, n: 1, k: k)
            if kind == .both {
                let cos = matmul(embeddings, theta, m: cells, n: 1, k: d)
                out = zip(standardized(out), standardized(cos)).map(+)
            }
            return out
        }
    }

    /// The cells' scores (R) for θ as `weighting` reads them.
    public func scores(_ theta: [Float], weighting: CellWeighting) throws -> [Float] {
        try scores(theta, kind: weighting.score, classes: weighting.classCount, temperature: weighting.classTemperature)
    }

    /// cos(θ, φ_r) per cell (R) for a unit θ (D).
    public func similarities(_ theta: [Float]) throws -> [Float] {
        try SaliencyError.check("query embedding", theta.count, dimension)
        return matmul(embeddings, theta, m: cells, n: 1, k: dimension)
    }
}

/// What a cell's score for a query is.
public enum CellScore: String, Sendable, CaseIterable {
    /// cos(θ, φ_r): the query against the cell's own joint embedding.
    case cosine
    /// θ·W a_r: the cell through the learned linear map alone.
    case direct
    /// Σ_k q_k l_rk: the cell's class scores weighted by the query's ImageNet
    /// classes (q = softmax over the `CellWeighting.classCount` class texts
    /// nearest θ), class activation mapping for the classes the query names.
    case classes
    /// classes + cosine, each standardised over the cells: the classifier's
    /// sharp localisation and the joint space's reading of the words.
    case both
}

/// How cell similarities become a map of where the query's object is.
public struct CellWeighting: Sendable, Equatable {
    public var score: CellScore
    /// Add the whole photo's coarser cells (resampled) to the tiles' finer ones.
    public var multiScale: Bool
    /// Softmax temperature over the cells' scores, in standard deviations
    /// of the scores over the cells: lower is sharper.
    public var temperature: Float
    /// Subtract each cell's score for the baseline text (the mean of the
    /// class phrases) first, so cells that match any text alike cancel out.
    public var contrast: Bool
    /// σ in cells of a Gaussian the weights are smoothed with (0: none), so
    /// the peak lies where the evidence is dense rather than on one sharp cell.
    public var smoothing: Float
    /// `.classes`: how many class texts nearest the query it is read as,
    /// and the softmax temperature over their cosines with it. A COCO name
    /// rarely is one ImageNet class ("person", "dining table"): a blend of
    /// 20 at 0.1 points better than the nearest 5 at 0.05 (docs/quality.md).
    public var classCount: Int
    public var classTemperature: Float

    public init(score: CellScore = .classes, temperature: Float = 0.5, contrast: Bool = false, multiScale: Bool = false,
                smoothing: Float = 1, classCount: Int = 20, classTemperature: Float = 0.1) {
        self.score = score
        self.classCount = classCount
        self.classTemperature = classTemperature
        self.temperature = temperature
        self.contrast = contrast
        self.multiScale = multiScale
        self.smoothing = smoothing
    }

    /// Weights (R) summing to 1 from the query's and the baseline's scores (R each).
    public func weights(_ query: [Float], baseline: [Float]?) -> [Float] {
        var s = query
        if contrast, let baseline { s = zip(query, baseline).map { $0 - $1 } }
        s = standardized(s)
        let peak = s.max() ?? 0
        let e = s.map { Foundation.exp(($0 - peak) / max(temperature, 1e-6)) }
        let total = e.reduce(0, +)
        return e.map { $0 / total }
    }
}

/// v (N) shifted and scaled to mean 0, standard deviation 1 (a flat v → 0).
func standardized(_ v: [Float]) -> [Float] {
    let m = v.reduce(0, +) / Float(max(v.count, 1))
    let sd = max((v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Float(max(v.count, 1))).squareRoot(), 1e-6)
    return v.map { ($0 - m) / sd }
}
