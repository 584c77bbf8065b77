/// Length-prefixed frames: a 4-byte big-endian length, then the body.
public enum Frame {
    public static let headerBytes = 4

    // body (n) -> frame (4 + n)
    public static func encode(_ body: [UInt8]) -> [UInt8] {
        let n = UInt32(body.count)
        var frame: [UInt8] = [UInt8(n >> 24), UInt8((n >> 16) & 0xff), UInt8((n >> 8) & 0xff), UInt8(n & 0xff)]
        frame.reserveCapacity(headerBytes + body.count)
        frame.append(contentsOf: body)
        return frame
    }
}

public enum FrameError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The peer announced a frame larger than the limit; the stream cannot be resynchronised.
    case tooLarge(announced: Int, limit: Int)

    public var description: String {
        switch self {
        case .tooLarge(let announced, let limit): "frame of \(announced) bytes exceeds the limit of \(limit) bytes"
        }
    }
}

/// Splits a byte stream into frames, refusing any frame over `maximumBytes`
/// as soon as its header arrives (before buffering its body).
public struct FrameDecoder: Sendable {
    public let maximumBytes: Int
    private var buffer: [UInt8] = []
    private var start = 0

    public init(maximumBytes: Int) { self.maximumBytes = maximumBytes }

    /// Bytes received but not yet returned as a frame.
    public var bufferedBytes: Int { buffer.count - start }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        buffer.append(contentsOf: bytes)
    }

    public mutating func append(_ bytes: [UInt8]) {
        buffer.append(contentsOf: bytes)
    }

    /// The next complete frame's body, or nil when more bytes are needed.
    public mutating func next() throws(FrameError) -> [UInt8]? {
        guard buffer.count - start >= Frame.headerBytes else { return nil }
        var length = 0
        for i in 0..<Frame.headerBytes { length = length << 8 | Int(buffer[start + i]) }
        guard length <= maximumBytes else { throw .tooLarge(announced: length, limit: maximumBytes) }
        let bodyStart = start + Frame.headerBytes
        guard buffer.count - bodyStart >= length else { return nil }
        let body = Array(buffer[bodyStart..<bodyStart + length])
        start = bodyStart + length
        // Compact once the consumed prefix dominates, so the buffer stays bounded.
        if start > 4096 && start * 2 > buffer.count {
            buffer.removeFirst(start)
            start = 0
        }
        return body
    }
}
