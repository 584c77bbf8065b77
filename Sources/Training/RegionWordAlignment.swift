import Foundation
import Model

// Region–word alignment (Karpathy & Fei-Fei): a caption matches a photo as
// well as each of its words finds a cell that looks like it,
// S = mean_t max_r φ_rᵀ θ_t, with φ_r the photo's per-cell joint embeddings
// and θ_t each word token's contextual MiniLM state taken through the text
// side of the joint space. It is a second opinion next to the pooled φᵀθ:
// "a dog on a beach" needs a dog somewhere and sand somewhere.
// N = photos, R = cells per photo, D = joint dimension, n = tokens.

/// Per-cell joint embeddings of a photo set and per-token joint embeddings
/// of its captions.
public struct RegionWordAlignment: Sendable {
    /// φ_r (N·R, D), unit rows, photo-major.
    public let cells: [Float]
    public let cellsPerPhoto: Int
    /// θ_t per caption (n_c, D), unit rows, word tokens only.
    public let tokens: [[Float]]
    public let dimension: Int

    public init(cells: [Float], cellsPerPhoto: Int, tokens: [[Float]], dimension: Int) {
        self.cells = cells
        self.cellsPerPhoto = cellsPerPhoto
        self.tokens = tokens
        self.dimension = dimension
    }

    /// From the set's head maps (the joint model's own flip setting) and its
    /// captions. classifier (K,F), classifierBias (K): the backbone's.
    public static func compute(_ prepared: PreparedSet, grid: GridFeatures, model: JointModel,
                               encoder: SentenceEncoder, classifier: [Float], classifierBias: [Float],
                               threads: Int, wordsAlone: Bool = false) throws -> RegionWordAlignment {
        let photos = try photoCells(grid: grid, model: model, classifier: classifier, classifierBias: classifierBias)
        let (texts, _) = prepared.set.flattened
        let tokens = wordsAlone
            ? try captionWords(texts, encoder: encoder, model: model, threads: threads)
            : try captionTokens(texts, encoder: encoder, model: model, threads: threads)
        return RegionWordAlignment(cells: photos, cellsPerPhoto: grid.cells, tokens: tokens, dimension: model.dimension)
    }

    /// φ_r (N·R, D) from grids g (R,F) per photo: cell logits g FCᵀ + bias,
    /// then the model's per-cell embedding; 100 photos per batch.
    public static func photoCells(grid: GridFeatures, model: JointModel, classifier: [Float],
                                  classifierBias: [Float]) throws -> [Float] {
        let (r, f, k) = (grid.cells, grid.featureWidth, classifierBias.count)
        guard classifier.count == k * f, f == model.parameters.featureWidth else {
            throw TrainingDataError.cacheMismatch(path: "grid", reason: "classifier (\(k),\(f)) does not fit the model")
        }
        var out = [Float]()
        out.reserveCapacity(grid.count * r * model.dimension)
        for start in stride(from: 0, to: grid.count, by: 100) {
            let end = min(start + 100, grid.count)
            let g = grid.gather(range: start..<end)
            let rows = (end - start) * r
            var logits = matmul(g, classifier, m: rows, n: k, k: f, transposeB: true)
            for p in 0..<rows { for j in 0..<k { logits[p * k + j] += classifierBias[j] } }
            out += model.cellEmbeddings(grid: g, cellLogits: logits, cells: rows)
        }
        return out
    }

    /// θ_t (n,D) per text: each word token's state (not [CLS], [SEP]),
    /// normalised as a sentence embedding is, through the text side.
    public static func captionTokens(_ texts: [String], encoder: SentenceEncoder, model: JointModel,
                                     threads: Int) throws -> [[Float]] {
        try mapTextChunks(texts, threads: threads, label: "caption tokens") { batch in
            encoder.tokenStates(batch: batch).map { model.embedTokens(states: $0) }
        }
    }

    /// θ_w (n,D) per text: each of its words (QueryTokenizer's split; stop
    /// words left out) encoded alone, through the text side. A word alone is
    /// a short sentence, the input θ was trained on.
    public static func captionWords(_ texts: [String], encoder: SentenceEncoder, model: JointModel,
                                    threads: Int) throws -> [[Float]] {
        let words = texts.map { QueryTokenizer.tokenize($0).filter { !StopWords.english.contains($0) } }
        let vocabulary = Array(Set(words.flatMap { $0 })).sorted()
        let sentences = try PretrainedNetworks.encodeInParallel(vocabulary, encoder: encoder, threads: threads)
        let joint = model.embedTexts(sentenceEmbeddings: sentences, batch: vocabulary.count)
        let d = model.dimension
        let row = Dictionary(uniqueKeysWithValues: vocabulary.enumerated().map { ($0.element, $0.offset) })
        return words.map { list in list.flatMap { joint[(row[$0]! * d)..<((row[$0]! + 1) * d)] } }
    }

    /// S = mean_t max_r φ_rᵀ θ_t of one photo's cells (R,D) and one text's
    /// tokens (n,D); 0 for a text without tokens.
    public func score(photo: Int, caption: Int) -> Float {
        let t = tokens[caption]
        let n = t.count / dimension
        guard n > 0 else { return 0 }
        let r = cellsPerPhoto
        let base = photo * r * dimension
        // similarities (n,R) = θ (n,D) · φᵀ (D,R)
        var similarities = [Float](repeating: 0, count: n * r)
        cells.withUnsafeBufferPointer { pc in
            t.withUnsafeBufferPointer { pt in
                similarities.withUnsafeMutableBufferPointer { ps in
                    gemm(ps.baseAddress!, pt.baseAddress!, pc.baseAddress! + base, m: n, n: r, k: dimension,
                         transposeB: true)
                }
            }
        }
        return WordAlignmentInputs.alignment(cellSimilarity: similarities, pieceCount: n, cellCount: r)
    }
}

/// 1-based rank of each caption's own photo with the joint space alone and
/// after reordering its top K by φᵀθ + w·S under each of `weights`.
/// photos (N,D), captions (M,D) joint embeddings.
public func alignmentRerankedRanks(_ alignment: RegionWordAlignment, photoEmbeddings: [Float],
                                   captionEmbeddings: [Float], photoOfCaption: [Int], topK: Int,
                                   weights: [Float]) -> (joint: [Int], fused: [[Int]]) {
    let ranks = jointThenReranked(captions: Array(photoOfCaption.indices), ownPhoto: photoOfCaption,
                                  photoEmbeddings: photoEmbeddings, captionEmbeddings: captionEmbeddings,
                                  dimension: alignment.dimension, topK: topK, variants: weights.count) { caption, candidates, joint in
        let aligned = candidates.map { alignment.score(photo: $0, caption: caption) }
        return weights.map { w in zip(joint, aligned).map { $0 + w * $1 } }
    }
    return (ranks.joint, ranks.reranked)
}
