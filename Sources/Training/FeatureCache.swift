import Foundation
import ModelFormat

/// On-disk cache of backbone outputs per image set and of sentence
/// embeddings per caption list, in our weight format, so a second training or
/// evaluation run skips the CNN and the text encoder. A file's name is a hash
/// of everything its content depends on (photo names, sizes and modification
/// times, model id, input transform), so stale entries are never read.
public struct FeatureCache: Sendable {
    public let directory: String

    /// `$XDG_CACHE_HOME/photoq/features`, else `~/.cache/photoq/features`.
    public static var defaultDirectory: String {
        let env = ProcessInfo.processInfo.environment
        let base = env["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (env["HOME"] ?? NSHomeDirectory()) + "/.cache"
        return base + "/photoq/features"
    }

    public init(directory: String? = nil) { self.directory = directory ?? Self.defaultDirectory }

    /// Backbone outputs of `photos` in `imageDirectory`, computed by `extract`
    /// when not cached. Photos that `extract` drops (unreadable) are absent
    /// from the result.
    public func imageFeatures(photos: [String], imageDirectory: String, backboneID: String, transform: String,
                              extract: ([String]) throws -> ImageFeatures) throws -> ImageFeatures {
        let key = Self.imageKey("images-v1", photos: photos, imageDirectory: imageDirectory, backboneID: backboneID,
                                transform: transform)
        let path = directory + "/images-\(key).safetensors"
        if FileManager.default.fileExists(atPath: path), let cached = try? Self.readImageFeatures(path: path) {
            return cached
        }
        let computed = try extract(photos)
        try preparePrivateDirectory()
        var writer = WeightFileWriter(metadata: [
            "kind": "photoq image features", "backbone_id": backboneID, "transform": transform,
            "image_directory": imageDirectory, "photos": Self.json(computed.photos),
        ])
        writer.add("features", shape: [computed.count, computed.featureWidth], values: computed.features)
        writer.add("logits", shape: [computed.count, computed.classCount], values: computed.logits)
        try writer.write(to: path)
        return computed
    }

    /// 7×7 head maps of `photos`, computed by `extract` (photo names and
    /// their fp16 grids, in order) when not cached; memory-mapped.
    public func gridFeatures(photos: [String], imageDirectory: String, backboneID: String, transform: String,
                             extract: ([String]) throws -> (photos: [String], grids: [[Float16]], cells: Int, width: Int))
        throws -> GridFeatures {
        let key = Self.imageKey("grid-v1", photos: photos, imageDirectory: imageDirectory, backboneID: backboneID,
                                transform: transform)
        let path = directory + "/grid-\(key).f16"
        if FileManager.default.fileExists(atPath: path), let cached = try? GridFeatures.read(path: path) { return cached }
        let computed = try extract(photos)
        try preparePrivateDirectory()
        try GridFeatures.write(path: path, photos: computed.photos, cells: computed.cells, featureWidth: computed.width,
                               grids: computed.grids)
        return try GridFeatures.read(path: path)
    }

    /// The cache holds features of the user's photos and captions: the
    /// directory is private (tightened if an older version left it open).
    func preparePrivateDirectory() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: directory)
    }

    /// A hash of everything a photo set's backbone outputs depend on.
    static func imageKey(_ kind: String, photos: [String], imageDirectory: String, backboneID: String,
                         transform: String) -> String {
        var key = FNV1a()
        key.add(kind); key.add(backboneID); key.add(transform)
        key.add(URL(fileURLWithPath: imageDirectory).standardizedFileURL.path)
        for name in photos {
            key.add(name)
            let attributes = try? FileManager.default.attributesOfItem(atPath: imageDirectory + "/" + name)
            key.add("\((attributes?[.size] as? Int) ?? -1)/\((attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)")
        }
        return key.hex
    }

    /// Sentence embeddings (M,D) of `texts`, computed by `encode` when not cached.
    public func sentenceEmbeddings(texts: [String], encoderID: String, dimension: Int,
                                   encode: ([String]) throws -> [Float]) throws -> [Float] {
        var key = FNV1a()
        key.add("sentences-v1"); key.add(encoderID)
        for text in texts { key.add(text) }
        let path = directory + "/sentences-\(key.hex).safetensors"
        if FileManager.default.fileExists(atPath: path), let file = try? WeightFile(path: path),
           let view = try? file.floats("embeddings", shape: [texts.count, dimension]) {
            return view.toArray()
        }
        let computed = try encode(texts)
        precondition(computed.count == texts.count * dimension, "sentenceEmbeddings: encoder returned the wrong size")
        try preparePrivateDirectory()
        var writer = WeightFileWriter(metadata: ["kind": "photoq sentence embeddings", "encoder_id": encoderID])
        writer.add("embeddings", shape: [texts.count, dimension], values: computed)
        try writer.write(to: path)
        return computed
    }

    static func readImageFeatures(path: String) throws -> ImageFeatures {
        let file = try WeightFile(path: path)
        let features = try file.floats("features"), logits = try file.floats("logits")
        guard let list = file.metadata["photos"], let photos = try? JSONDecoder().decode([String].self, from: Data(list.utf8)),
              features.shape.count == 2, logits.shape.count == 2,
              features.shape[0] == photos.count, logits.shape[0] == photos.count else {
            throw TrainingDataError.cacheMismatch(path: path, reason: "photo list and tensors disagree")
        }
        return ImageFeatures(photos: photos, features: features.toArray(), logits: logits.toArray(),
                             featureWidth: features.shape[1], classCount: logits.shape[1])
    }

    static func json(_ strings: [String]) -> String {
        String(decoding: (try? JSONEncoder().encode(strings)) ?? Data("[]".utf8), as: UTF8.self)
    }
}

/// 64-bit FNV-1a, for cache keys (not security).
struct FNV1a {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325
    mutating func add(_ text: String) {
        for byte in text.utf8 { value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        value = (value ^ 0xFF) &* 0x0000_0100_0000_01B3  // separator, so ["ab","c"] ≠ ["a","bc"]
    }
    var hex: String { String(value, radix: 16) }
}
