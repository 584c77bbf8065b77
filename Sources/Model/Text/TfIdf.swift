import Foundation

/// A sparse vector: term indices in increasing order and their weights.
public struct SparseVector: Sendable, Equatable {
    public var indices: [Int32]
    public var values: [Float]

    public init(indices: [Int32] = [], values: [Float] = []) {
        precondition(indices.count == values.count)
        self.indices = indices
        self.values = values
    }

    /// Dot product by merging the two sorted index lists.
    public func dot(_ other: SparseVector) -> Float {
        var i = 0, j = 0
        var sum: Float = 0
        while i < indices.count && j < other.indices.count {
            if indices[i] == other.indices[j] { sum += values[i] * other.values[j]; i += 1; j += 1 }
            else if indices[i] < other.indices[j] { i += 1 } else { j += 1 }
        }
        return sum
    }
}

/// tf-idf over stemmed caption terms (Gordo & Larlus's semantic proxy): a
/// document is all captions of one photo; weight = raw term count ×
/// ln(N / df); vectors are L2-normalised, so a dot product is the cosine.
/// The vocabulary and IDF come from the training documents only; terms unseen
/// there are ignored when embedding other documents.
public struct TfIdfModel: Sendable {
    public let vocabulary: [String: Int32]
    /// idf (V), indexed like `vocabulary`.
    public let idf: [Float]
    public var termCount: Int { idf.count }

    /// Builds vocabulary and IDF from `documents` (each a list of captions).
    public init(documents: [[String]]) {
        var vocabulary: [String: Int32] = [:]
        var documentFrequency: [Int] = []
        for document in documents {
            var seen = Set<Int32>()
            for caption in document {
                for term in TfIdfTokenizer.terms(caption) {
                    let index: Int32
                    if let existing = vocabulary[term] { index = existing } else {
                        index = Int32(documentFrequency.count)
                        vocabulary[term] = index
                        documentFrequency.append(0)
                    }
                    if seen.insert(index).inserted { documentFrequency[Int(index)] += 1 }
                }
            }
        }
        let n = Float(max(documents.count, 1))
        self.vocabulary = vocabulary
        self.idf = documentFrequency.map { log(n / Float($0)) }
    }

    /// The L2-normalised tf-idf vector of one document (a photo's captions).
    public func vector(_ document: [String]) -> SparseVector {
        var counts: [Int32: Float] = [:]
        for caption in document {
            for term in TfIdfTokenizer.terms(caption) {
                if let index = vocabulary[term] { counts[index, default: 0] += 1 }
            }
        }
        var pairs = counts.map { ($0.key, $0.value * idf[Int($0.key)]) }.filter { $0.1 > 0 }
        pairs.sort { $0.0 < $1.0 }
        let norm = pairs.reduce(0) { $0 + $1.1 * $1.1 }.squareRoot()
        guard norm > 0 else { return SparseVector() }
        return SparseVector(indices: pairs.map(\.0), values: pairs.map { $0.1 / norm })
    }
}
