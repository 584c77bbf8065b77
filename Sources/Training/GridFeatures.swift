import Foundation

/// The backbone's 7×7 head maps of a photo set, read-only and memory-mapped
/// from the feature cache (fp16: 7,000 photos take 0.9 GB, which training
/// reads a batch at a time). Row i of the file is photo `photos[i]`; `rows`
/// maps a caller's photo order onto file rows.
/// K = cells (49), F = feature width (1280).
public final class GridFeatures: @unchecked Sendable {
    public let photos: [String]
    public let cells: Int
    public let featureWidth: Int
    /// File row of each photo in the caller's order.
    public let rows: [Int]
    private let storage: MappedFile
    public var count: Int { rows.count }
    var valuesPerPhoto: Int { cells * featureWidth }

    init(storage: MappedFile, photos: [String], cells: Int, featureWidth: Int, rows: [Int]? = nil) {
        self.storage = storage
        self.photos = photos
        self.cells = cells
        self.featureWidth = featureWidth
        self.rows = rows ?? Array(photos.indices)
    }

    /// The same file seen in the order of `names` (each must be in it).
    public func aligned(to names: [String]) throws -> GridFeatures {
        let index = Dictionary(photos.enumerated().map { ($0.element, $0.offset) }, uniquingKeysWith: { a, _ in a })
        let rows = try names.map { name -> Int in
            guard let row = index[name] else {
                throw TrainingDataError.cacheMismatch(path: storage.path, reason: "no grid for \(name)")
            }
            return row
        }
        return GridFeatures(storage: storage, photos: photos, cells: cells, featureWidth: featureWidth, rows: rows)
    }

    /// Grids of photos `indices` (caller order), as fp32 (len·K, F), photo-major.
    public func gather(_ indices: [Int]) -> [Float] {
        let width = valuesPerPhoto
        var out = [Float](repeating: 0, count: indices.count * width)
        let base = storage.pointer.assumingMemoryBound(to: Float16.self)
        out.withUnsafeMutableBufferPointer { o in
            for (slot, i) in indices.enumerated() {
                let source = base + rows[i] * width, target = o.baseAddress! + slot * width
                for j in 0..<width { target[j] = Float(source[j]) }
            }
        }
        return out
    }

    /// Grids of photos [start, end) in caller order.
    public func gather(range: Range<Int>) -> [Float] { gather(Array(range)) }

    /// Writes grids (photo-major fp16) and their photo list: `path` gets the
    /// values, `path.json` the list; files private to the user, written
    /// under temporary names and renamed so a reader never sees half a file.
    static func write(path: String, photos: [String], cells: Int, featureWidth: Int, grids: [[Float16]]) throws {
        let temporary = path + ".partial"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw TrainingDataError.cacheMismatch(path: path, reason: "cannot create: errno \(errno)") }
        defer { close(fd) }
        for grid in grids {
            precondition(grid.count == cells * featureWidth, "GridFeatures.write: row size")
            let ok = grid.withUnsafeBytes { bytes -> Bool in
                var offset = 0
                while offset < bytes.count {
                    let n = Foundation.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                    if n <= 0 { return false }
                    offset += n
                }
                return true
            }
            guard ok else { throw TrainingDataError.cacheMismatch(path: path, reason: "write failed: errno \(errno)") }
        }
        let header = GridHeader(photos: photos, cells: cells, featureWidth: featureWidth)
        let json = try JSONEncoder().encode(header)
        guard FileManager.default.createFile(atPath: path + ".json", contents: json, attributes: [.posixPermissions: 0o600]) else {
            throw TrainingDataError.cacheMismatch(path: path, reason: "cannot write the photo list")
        }
        guard rename(temporary, path) == 0 else {
            throw TrainingDataError.cacheMismatch(path: path, reason: "rename failed: errno \(errno)")
        }
    }

    /// Maps a file written by `write`; throws when it is missing or its size
    /// disagrees with its list.
    static func read(path: String) throws -> GridFeatures {
        guard let data = FileManager.default.contents(atPath: path + ".json"),
              let header = try? JSONDecoder().decode(GridHeader.self, from: data) else {
            throw TrainingDataError.cacheMismatch(path: path, reason: "no readable photo list")
        }
        let expected = header.photos.count * header.cells * header.featureWidth * MemoryLayout<Float16>.size
        let storage = try MappedFile(path: path)
        guard storage.size == expected else {
            throw TrainingDataError.cacheMismatch(path: path, reason: "\(storage.size) bytes, expected \(expected)")
        }
        return GridFeatures(storage: storage, photos: header.photos, cells: header.cells, featureWidth: header.featureWidth)
    }
}

private struct GridHeader: Codable {
    var photos: [String]
    var cells: Int
    var featureWidth: Int
}

/// A whole file mapped read-only; unmapped when the last user goes.
final class MappedFile: @unchecked Sendable {
    let path: String
    let pointer: UnsafeRawPointer
    let size: Int

    init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw TrainingDataError.cacheMismatch(path: path, reason: "cannot open: errno \(errno)") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw TrainingDataError.cacheMismatch(path: path, reason: "cannot stat") }
        size = Int(info.st_size)
        guard size > 0, let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED else {
            throw TrainingDataError.cacheMismatch(path: path, reason: "cannot map: errno \(errno)")
        }
        pointer = UnsafeRawPointer(mapped)
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: pointer), size) }
}
