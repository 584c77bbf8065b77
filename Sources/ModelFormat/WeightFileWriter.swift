import Foundation

/// Writes the photoq weight format (see `WeightFile`): safetensors with photoq
/// metadata and 64-byte aligned data. Written to a temporary file and renamed,
/// so a crash never leaves a half-written model where a reader looks.
public struct WeightFileWriter {
    private var tensors: [(name: String, dtype: TensorEntry.DType, shape: [Int], bytes: Data)] = []
    public var metadata: [String: String]

    public init(metadata: [String: String] = [:]) { self.metadata = metadata }

    /// Adds a float32 tensor; `values.count` must equal the product of `shape`.
    public mutating func add(_ name: String, shape: [Int], values: [Float]) {
        precondition(shape.reduce(1, *) == values.count, "tensor \(name): shape \(shape) vs \(values.count) values")
        let bytes = values.withUnsafeBufferPointer { Data(buffer: $0) }
        tensors.append((name, .f32, shape, bytes))
    }

    /// Adds a tensor stored in half precision (each value rounded to the
    /// nearest float16; values beyond its range become ±infinity, so callers
    /// store only weights known to be small).
    public mutating func add(_ name: String, shape: [Int], halfPrecision values: [Float]) {
        precondition(shape.reduce(1, *) == values.count, "tensor \(name): shape \(shape) vs \(values.count) values")
        let bits = values.map { Float16($0).bitPattern.littleEndian }
        let bytes = bits.withUnsafeBufferPointer { Data(buffer: $0) }
        tensors.append((name, .f16, shape, bytes))
    }

    public mutating func add(_ name: String, shape: [Int], int32s values: [Int32]) {
        precondition(shape.reduce(1, *) == values.count, "tensor \(name): shape \(shape) vs \(values.count) values")
        let bytes = values.withUnsafeBufferPointer { Data(buffer: $0) }
        tensors.append((name, .i32, shape, bytes))
    }

    public func write(to path: String) throws {
        var header: [String: Any] = [:]
        var meta = metadata
        meta["format"] = WeightFile.formatName
        meta["format_version"] = String(WeightFile.formatVersion)
        header["__metadata__"] = meta
        var offset = 0
        var body = Data()
        for tensor in tensors {
            // Keep every tensor 64-byte aligned relative to the data start.
            let padding = (64 - offset % 64) % 64
            body.append(Data(count: padding))
            offset += padding
            header[tensor.name] = ["dtype": tensor.dtype.rawValue, "shape": tensor.shape,
                                   "data_offsets": [offset, offset + tensor.bytes.count]]
            body.append(tensor.bytes)
            offset += tensor.bytes.count
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        let pad = (64 - (8 + json.count) % 64) % 64
        json.append(Data(repeating: UInt8(ascii: " "), count: pad))
        var file = Data()
        var length = UInt64(json.count).littleEndian
        file.append(Data(bytes: &length, count: 8))
        file.append(json)
        file.append(body)
        let temporary = path + ".tmp-\(getpid())"
        try file.write(to: URL(fileURLWithPath: temporary))
        // Weights and cached features are the user's own: private, as everything photoq writes.
        chmod(temporary, 0o600)
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw WeightFileError.cannotOpen(path: path, reason: "rename: \(reason)")
        }
    }
}
