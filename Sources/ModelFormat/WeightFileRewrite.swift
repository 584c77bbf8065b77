/// Rewrites a weight file with changed metadata and the same tensors, e.g.
/// to store a value calibrated after training. Tensors are written in name
/// order, so the same input always gives the same bytes.
public enum WeightFileRewrite {
    /// Writes `file`'s tensors and its metadata updated with `changes` to
    /// `path` (atomically; `path` may be `file`'s own path).
    public static func setMetadata(_ changes: [String: String], of file: WeightFile, to path: String) throws {
        var metadata = file.metadata
        for key in ["format", "format_version"] { metadata.removeValue(forKey: key) }
        metadata.merge(changes) { _, new in new }
        var writer = WeightFileWriter(metadata: metadata)
        for name in file.tensorNames {
            guard let entry = file.entries[name] else { continue }
            switch entry.dtype {
            case .f32: writer.add(name, shape: entry.shape, values: try file.floats(name).toArray())
            // Widening and rounding again gives back the same half-precision bits.
            case .f16: writer.add(name, shape: entry.shape, halfPrecision: try file.floatArray(name))
            case .i32: writer.add(name, shape: entry.shape, int32s: try file.int32s(name).values)
            }
        }
        try writer.write(to: path)
    }
}
