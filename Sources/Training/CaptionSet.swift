import Foundation

/// Photos with their human captions: the unit of training and evaluation.
/// Photos are file names relative to an image folder, in a stable order.
public struct CaptionSet: Sendable {
    public var photos: [String]
    /// captions[i] are the captions of photos[i].
    public var captions: [[String]]

    public init(photos: [String], captions: [[String]]) {
        precondition(photos.count == captions.count)
        self.photos = photos
        self.captions = captions
    }

    public var captionCount: Int { captions.reduce(0) { $0 + $1.count } }

    /// Every caption flattened, with the index of its photo: (texts, photoOfCaption).
    public var flattened: (texts: [String], photoOfCaption: [Int]) {
        var texts: [String] = [], owners: [Int] = []
        for (i, list) in captions.enumerated() { for c in list { texts.append(c); owners.append(i) } }
        return (texts, owners)
    }

    /// Reads a COCO-format JSON file (`images` + `annotations`) or a Flickr8k
    /// token file (`name.jpg#0<TAB>caption`), told apart by the first byte.
    public static func load(path: String) throws -> CaptionSet {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TrainingDataError.cannotRead(path: path, reason: "no such file or not readable")
        }
        let firstByte = data.first { ![0x20, 0x09, 0x0A, 0x0D, 0xEF, 0xBB, 0xBF].contains($0) }
        return firstByte == UInt8(ascii: "{") ? try loadCOCO(data, path: path) : try loadFlickrTokens(data, path: path)
    }

    static func loadFlickrTokens(_ data: Data, path: String) throws -> CaptionSet {
        guard let text = String(data: data, encoding: .utf8) else {
            throw TrainingDataError.malformed(path: path, line: 0, reason: "not UTF-8 text")
        }
        var order: [String] = [], byPhoto: [String: [String]] = [:]
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { continue }
            guard let tab = trimmed.firstIndex(of: "\t"), let hash = trimmed[..<tab].lastIndex(of: "#") else {
                throw TrainingDataError.malformed(path: path, line: number + 1,
                                                  reason: "expected `name.jpg#N<TAB>caption` (Flickr8k token format)")
            }
            let name = String(trimmed[..<hash])
            let caption = trimmed[trimmed.index(after: tab)...].trimmingCharacters(in: .whitespaces)
            if byPhoto[name] == nil { order.append(name) }
            byPhoto[name, default: []].append(caption)
        }
        return CaptionSet(photos: order, captions: order.map { byPhoto[$0]! })
    }

    private struct COCOFile: Decodable {
        struct Image: Decodable { let id: Int; let file_name: String }
        struct Annotation: Decodable { let image_id: Int; let caption: String }
        let images: [Image]
        let annotations: [Annotation]
    }

    static func loadCOCO(_ data: Data, path: String) throws -> CaptionSet {
        let file: COCOFile
        do { file = try JSONDecoder().decode(COCOFile.self, from: data) } catch {
            throw TrainingDataError.malformed(path: path, line: 0, reason: "not COCO captions JSON (images, annotations): \(error)")
        }
        var byID: [Int: [String]] = [:]
        for a in file.annotations { byID[a.image_id, default: []].append(a.caption.trimmingCharacters(in: .whitespacesAndNewlines)) }
        let images = file.images.filter { byID[$0.id] != nil }
        return CaptionSet(photos: images.map(\.file_name), captions: images.map { byID[$0.id]! })
    }

    /// Keeps only the photos named in a split list (one file name per line), in the list's order.
    public func restricted(toSplitList path: String) throws -> CaptionSet {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw TrainingDataError.cannotRead(path: path, reason: "no such file or not UTF-8")
        }
        let index = Dictionary(photos.enumerated().map { ($0.element, $0.offset) }, uniquingKeysWith: { a, _ in a })
        let names = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let kept = names.compactMap { index[$0] }
        return CaptionSet(photos: kept.map { photos[$0] }, captions: kept.map { captions[$0] })
    }

    /// Keeps only the photos whose file exists in `directory`; returns the set
    /// and how many were missing (a captions file may cover more photos than a user has).
    public func restricted(toExistingIn directory: String) -> (CaptionSet, missing: Int) {
        let fm = FileManager.default
        let kept = photos.indices.filter { fm.fileExists(atPath: directory + "/" + photos[$0]) }
        return (CaptionSet(photos: kept.map { photos[$0] }, captions: kept.map { captions[$0] }), photos.count - kept.count)
    }
}

public enum TrainingDataError: Error, CustomStringConvertible, Equatable {
    case cannotRead(path: String, reason: String)
    case malformed(path: String, line: Int, reason: String)
    case empty(what: String)
    case cacheMismatch(path: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotRead(path, reason): return "cannot read \(path): \(reason)"
        case let .malformed(path, line, reason): return "\(path)\(line > 0 ? ":\(line)" : ""): \(reason)"
        case let .empty(what): return "\(what) is empty (check --captions, --images and --split-list)"
        case let .cacheMismatch(path, reason): return "feature cache \(path) is unusable: \(reason) (delete it to rebuild)"
        }
    }
}
