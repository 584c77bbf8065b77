import Foundation

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A read-only, memory-mapped weight file.
///
/// The format is safetensors (an 8-byte little-endian header length, a JSON
/// header naming each tensor's dtype, shape and byte range, then the raw
/// little-endian data) with two additions that stay compatible with it:
/// `__metadata__` carries `format = "photoq"` and `format_version`, and the
/// header is space-padded so the data starts on a 64-byte boundary and every
/// float tensor is aligned. Only the header is parsed at open; a tensor's pages
/// are touched when the tensor is first read, so a process pays nothing for
/// tensors it never uses.
public final class WeightFile: @unchecked Sendable {
    public static let formatName = "photoq"
    public static let formatVersion = 1

    public let path: String
    /// Free-form string metadata (model id, training data, metrics...).
    public let metadata: [String: String]
    /// Every tensor's descriptor, by name.
    public let entries: [String: TensorEntry]

    private let base: UnsafeMutableRawPointer
    private let length: Int
    private let dataStart: Int

    public var tensorNames: [String] { entries.keys.sorted() }

    /// Maps `path` and parses its header.
    /// - Parameter requirePhotoqFormat: refuse plain safetensors files that lack
    ///   our metadata (on by default so a wrong file fails loudly at load).
    public init(path: String, requirePhotoqFormat: Bool = true) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw WeightFileError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw WeightFileError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        let size = Int(info.st_size)
        guard size >= 8 else { throw WeightFileError.malformed(path: path, reason: "file is \(size) bytes, too short for a header") }
        guard let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED else {
            throw WeightFileError.cannotOpen(path: path, reason: "mmap: " + String(cString: strerror(errno)))
        }
        base = mapped
        length = size
        do {
            let headerLength = Int(UInt64(littleEndian: mapped.loadUnaligned(as: UInt64.self)))
            guard headerLength > 0, headerLength <= size - 8, headerLength < 100_000_000 else {
                throw WeightFileError.malformed(path: path, reason: "header length \(headerLength) does not fit a \(size)-byte file")
            }
            dataStart = 8 + headerLength
            let headerData = Data(bytes: mapped + 8, count: headerLength)
            let (metadata, entries) = try Self.parseHeader(headerData, path: path, dataLength: size - dataStart)
            self.metadata = metadata
            self.entries = entries
            if requirePhotoqFormat {
                guard metadata["format"] == Self.formatName else {
                    throw WeightFileError.malformed(path: path, reason: "not a photoq weight file (no format=photoq metadata); convert it with scripts/setup")
                }
                guard let version = metadata["format_version"].flatMap(Int.init), version <= Self.formatVersion else {
                    throw WeightFileError.malformed(path: path, reason: "format_version \(metadata["format_version"] ?? "?") is newer than this program reads (\(Self.formatVersion))")
                }
            }
        } catch {
            munmap(mapped, size)
            throw error
        }
    }

    deinit { munmap(base, length) }

    /// The float32 tensor `name`, checked against `shape` when given.
    public func floats(_ name: String, shape expected: [Int]? = nil) throws -> FloatTensorView {
        guard let entry = entries[name] else { throw WeightFileError.missingTensor(path: path, name: name) }
        guard entry.dtype == .f32 else { throw WeightFileError.wrongType(path: path, name: name, dtype: entry.dtype.rawValue) }
        if let expected, expected != entry.shape {
            throw WeightFileError.wrongShape(path: path, name: name, expected: expected, actual: entry.shape)
        }
        let start = base.advanced(by: dataStart + entry.byteRange.lowerBound)
        guard Int(bitPattern: start) % MemoryLayout<Float>.alignment == 0 else {
            throw WeightFileError.malformed(path: path, reason: "tensor \(name) is not 4-byte aligned")
        }
        let pointer = start.assumingMemoryBound(to: Float.self)
        return FloatTensorView(shape: entry.shape, data: UnsafeBufferPointer(start: pointer, count: entry.elementCount), owner: self)
    }

    /// The float tensor `name` copied out as float32, whether stored as F32 or
    /// F16 (weights that are copied anyway, so half precision costs nothing
    /// but the widening).
    public func floatArray(_ name: String, shape expected: [Int]? = nil) throws -> [Float] {
        guard let entry = entries[name] else { throw WeightFileError.missingTensor(path: path, name: name) }
        guard entry.dtype == .f16 else { return try floats(name, shape: expected).toArray() }
        if let expected, expected != entry.shape {
            throw WeightFileError.wrongShape(path: path, name: name, expected: expected, actual: entry.shape)
        }
        let start = UnsafeRawPointer(base.advanced(by: dataStart + entry.byteRange.lowerBound))
        return (0..<entry.elementCount).map { i in
            Float(Float16(bitPattern: UInt16(littleEndian: start.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))))
        }
    }

    /// The int32 tensor `name` (token ids, class maps), copied out.
    public func int32s(_ name: String) throws -> (shape: [Int], values: [Int32]) {
        guard let entry = entries[name] else { throw WeightFileError.missingTensor(path: path, name: name) }
        guard entry.dtype == .i32 else { throw WeightFileError.wrongType(path: path, name: name, dtype: entry.dtype.rawValue) }
        let start = base.advanced(by: dataStart + entry.byteRange.lowerBound)
        var values = [Int32](repeating: 0, count: entry.elementCount)
        values.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(start: start, count: entry.byteRange.count)) }
        return (entry.shape, values.map { Int32(littleEndian: $0) })
    }

    private static func parseHeader(_ data: Data, path: String, dataLength: Int) throws -> ([String: String], [String: TensorEntry]) {
        guard let object = try? JSONSerialization.jsonObject(with: data), let header = object as? [String: Any] else {
            throw WeightFileError.malformed(path: path, reason: "header is not a JSON object")
        }
        var metadata: [String: String] = [:]
        var entries: [String: TensorEntry] = [:]
        for (name, value) in header {
            if name == "__metadata__" {
                guard let dict = value as? [String: Any] else { throw WeightFileError.malformed(path: path, reason: "__metadata__ is not an object") }
                for (key, item) in dict { metadata[key] = item as? String ?? "\(item)" }
                continue
            }
            guard let dict = value as? [String: Any],
                  let dtypeName = dict["dtype"] as? String,
                  let shape = dict["shape"] as? [Int],
                  let offsets = dict["data_offsets"] as? [Int], offsets.count == 2 else {
                throw WeightFileError.malformed(path: path, reason: "tensor \(name) has no dtype/shape/data_offsets")
            }
            guard let dtype = TensorEntry.DType(rawValue: dtypeName) else {
                throw WeightFileError.wrongType(path: path, name: name, dtype: dtypeName)
            }
            let entry = TensorEntry(name: name, dtype: dtype, shape: shape, byteRange: offsets[0]..<offsets[1])
            guard offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= dataLength,
                  shape.allSatisfy({ $0 >= 0 }), entry.elementCount * dtype.byteSize == entry.byteRange.count else {
                throw WeightFileError.malformed(path: path, reason: "tensor \(name): shape \(shape) does not match bytes \(offsets) of \(dataLength)")
            }
            entries[name] = entry
        }
        return (metadata, entries)
    }
}

/// Where one tensor lives in a weight file.
public struct TensorEntry: Sendable, Equatable {
    public enum DType: String, Sendable {
        case f32 = "F32"
        /// IEEE half precision, for weights whose file size matters more than
        /// their last bits; read back widened to float32 (`floatArray`).
        case f16 = "F16"
        case i32 = "I32"
        var byteSize: Int { self == .f16 ? 2 : 4 }
    }
    public let name: String
    public let dtype: DType
    public let shape: [Int]
    public let byteRange: Range<Int>
    public var elementCount: Int { shape.reduce(1, *) }
}

/// A float32 tensor inside a mapped file. Keeps the file mapped while alive.
public struct FloatTensorView: @unchecked Sendable {
    public let shape: [Int]
    public let data: UnsafeBufferPointer<Float>
    let owner: AnyObject
    public var count: Int { data.count }
    public var baseAddress: UnsafePointer<Float> { data.baseAddress! }
    public subscript(index: Int) -> Float { data[index] }
    /// Copies the values out (for weights that training will change).
    public func toArray() -> [Float] { Array(data) }
}

public enum WeightFileError: Error, CustomStringConvertible, Equatable {
    case cannotOpen(path: String, reason: String)
    case malformed(path: String, reason: String)
    case missingTensor(path: String, name: String)
    case wrongType(path: String, name: String, dtype: String)
    case wrongShape(path: String, name: String, expected: [Int], actual: [Int])

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason):
            return "cannot open weight file \(path): \(reason) (run scripts/setup to install the models)"
        case let .malformed(path, reason):
            return "weight file \(path) is malformed: \(reason)"
        case let .missingTensor(path, name):
            return "weight file \(path) has no tensor \(name)"
        case let .wrongType(path, name, dtype):
            return "weight file \(path): tensor \(name) has unsupported dtype \(dtype)"
        case let .wrongShape(path, name, expected, actual):
            return "weight file \(path): tensor \(name) has shape \(actual), expected \(expected)"
        }
    }
}
