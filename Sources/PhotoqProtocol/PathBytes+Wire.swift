import FoundationEssentials

// JSON carries text only, so a path travels as two fields: `path`, readable
// and exactly the name when it is UTF-8, and `path_bytes`, the name's bytes
// in base64, present only when the name is not UTF-8. Old clients keep
// reading `path`; `photoq -0` writes the bytes.
extension PathBytes {
    /// (`path`, `path_bytes`) for a lossless path.
    static func wireFields(_ path: String) -> (display: String, base64: String?) {
        guard !isPlain(path) else { return (path, nil) }
        return (display(path), Data(bytes(path)).base64EncodedString())
    }

    /// The bytes the two fields stand for (`path` when `path_bytes` is absent or garbled).
    static func fromWire(path: String, base64: String?) -> [UInt8] {
        if let base64, let data = Data(base64Encoded: base64) { return [UInt8](data) }
        return Array(path.utf8)
    }
}

extension SearchHit {
    /// The file's exact name.
    public var fileSystemPath: [UInt8] { PathBytes.fromWire(path: path, base64: pathBytes) }
    /// The same as a lossless string, for requests that name the photo again.
    public var losslessPath: String { PathBytes.string(fileSystemPath) }
}

extension PhotoRecordResult {
    public var fileSystemPath: [UInt8] { PathBytes.fromWire(path: path, base64: pathBytes) }
    public var losslessPath: String { PathBytes.string(fileSystemPath) }
}

extension FailureEntry {
    public var fileSystemPath: [UInt8] { PathBytes.fromWire(path: path, base64: pathBytes) }
}
