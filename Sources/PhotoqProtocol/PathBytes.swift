/// File names on Linux are bytes, not text: `caf\xe9.jpg` (Latin-1) is a
/// valid name but not UTF-8, and `String(decoding:as:)` would turn it into
/// `caf\u{FFFD}.jpg`, a file that does not exist. photoq keeps every path as
/// a `String` in a lossless form instead:
///
/// - bytes that are valid UTF-8 are those characters, so a valid name is its
///   own string and existing code, keys and messages are unchanged;
/// - every other byte b becomes the private-use scalar U+10FF00 + b (like
///   Python's "surrogateescape", which Swift strings cannot hold). A name
///   that really contains one of those 256 scalars has its bytes escaped one
///   by one, so the mapping from bytes to strings stays one to one.
///
/// System calls need the bytes back (`withCString`). Two strings name the
/// same file only if their `utf8` views are equal: Swift's `==` treats
/// canonically equivalent strings as equal, but `café` in NFC and in NFD
/// are two different files.
public enum PathBytes {
    static let escapeBase: UInt32 = 0x10_FF00

    /// The lossless string for a path's bytes (no NUL expected).
    public static func string<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        // Fast path: valid UTF-8 that cannot hold an escape scalar (all of
        // them are encoded F4 8F BC..BF xx).
        if !bytes.contains(0xF4), let text = String(validating: bytes, as: UTF8.self) { return text }
        let input = Array(bytes)
        var scalars = String.UnicodeScalarView()
        var i = 0
        while i < input.count {
            let length = validSequenceLength(input, at: i)
            if length > 0 {
                let scalar = decodeScalar(input, at: i, length: length)
                if scalar.value >= escapeBase {
                    for b in input[i..<i + length] { scalars.append(escape(b)) }
                } else {
                    scalars.append(scalar)
                }
                i += length
            } else {
                scalars.append(escape(input[i]))
                i += 1
            }
        }
        return String(scalars)
    }

    /// The bytes a lossless string stands for.
    public static func bytes(_ path: String) -> [UInt8] {
        guard !isPlain(path) else { return Array(path.utf8) }
        var out: [UInt8] = []
        out.reserveCapacity(path.utf8.count)
        for scalar in path.unicodeScalars {
            if scalar.value >= escapeBase {
                out.append(UInt8(scalar.value - escapeBase))
            } else {
                out.append(contentsOf: String(scalar).utf8)
            }
        }
        return out
    }

    /// True when the path is valid UTF-8 and needs no escapes (the common case).
    public static func isPlain(_ path: String) -> Bool {
        // Every escape scalar's UTF-8 starts with F4 8F; real U+10xxxx names are rare.
        guard path.utf8.contains(0xF4) else { return true }
        return !path.unicodeScalars.contains { $0.value >= escapeBase }
    }

    /// For people: each byte that is not UTF-8 as `\xHH` (lowercase hex),
    /// e.g. `caf\xe9.jpg`; valid names unchanged. Not unique (a name may
    /// literally contain `\xe9`): machines use `bytes` or base64.
    public static func display(_ path: String) -> String {
        guard !isPlain(path) else { return path }
        var out = ""
        for scalar in path.unicodeScalars {
            if scalar.value >= escapeBase {
                let b = UInt8(scalar.value - escapeBase)
                out += "\\x" + String(b >> 4, radix: 16) + String(b & 0xF, radix: 16)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Calls `body` with the NUL-terminated bytes of `path`, for system calls.
    public static func withCString<R>(_ path: String, _ body: (UnsafePointer<CChar>) throws -> R) rethrows -> R {
        if isPlain(path) { return try path.withCString(body) }
        var raw = bytes(path).map { CChar(bitPattern: $0) }
        raw.append(0)
        return try raw.withUnsafeBufferPointer { try body($0.baseAddress!) }
    }

    /// Whether `path` is `prefix` or lies below it, comparing bytes (not
    /// `hasPrefix`, which matches canonically equivalent folder names).
    public static func isWithin(_ path: String, _ folder: String) -> Bool {
        let p = path.utf8, f = folder.utf8
        guard p.starts(with: f) else { return false }
        if p.count == f.count { return true }
        return f.last == UInt8(ascii: "/") || p[p.index(p.startIndex, offsetBy: f.count)] == UInt8(ascii: "/")
    }

    /// Byte equality of two paths (see the type's comment on `==`).
    public static func same(_ a: String, _ b: String) -> Bool { a.utf8.elementsEqual(b.utf8) }

    private static func escape(_ byte: UInt8) -> Unicode.Scalar {
        Unicode.Scalar(escapeBase + UInt32(byte))!
    }

    /// Length of the well-formed UTF-8 sequence at `i` (Unicode table 3-7), 0 if none.
    private static func validSequenceLength(_ s: [UInt8], at i: Int) -> Int {
        let b0 = s[i]
        func cont(_ k: Int, _ range: ClosedRange<UInt8> = 0x80...0xBF) -> Bool { i + k < s.count && range.contains(s[i + k]) }
        switch b0 {
        case 0x00...0x7F: return 1
        case 0xC2...0xDF: return cont(1) ? 2 : 0
        case 0xE0: return cont(1, 0xA0...0xBF) && cont(2) ? 3 : 0
        case 0xE1...0xEC, 0xEE...0xEF: return cont(1) && cont(2) ? 3 : 0
        case 0xED: return cont(1, 0x80...0x9F) && cont(2) ? 3 : 0
        case 0xF0: return cont(1, 0x90...0xBF) && cont(2) && cont(3) ? 4 : 0
        case 0xF1...0xF3: return cont(1) && cont(2) && cont(3) ? 4 : 0
        case 0xF4: return cont(1, 0x80...0x8F) && cont(2) && cont(3) ? 4 : 0
        default: return 0
        }
    }

    private static func decodeScalar(_ s: [UInt8], at i: Int, length: Int) -> Unicode.Scalar {
        var value: UInt32
        switch length {
        case 1: return Unicode.Scalar(s[i])
        case 2: value = UInt32(s[i] & 0x1F)
        case 3: value = UInt32(s[i] & 0x0F)
        default: value = UInt32(s[i] & 0x07)
        }
        for k in 1..<length { value = value << 6 | UInt32(s[i + k] & 0x3F) }
        return Unicode.Scalar(value)!
    }
}
