import Foundation
import Glibc
import PhotoqProtocol

/// Files and folders named by raw bytes: FileManager and URL take Swift
/// strings, which cannot hold a name that is not UTF-8.
enum RawNames {
    /// `prefix` (a UTF-8 folder) followed by raw name bytes.
    static func path(_ prefix: String, _ name: [UInt8]) -> [UInt8] { Array(prefix.utf8) + [UInt8(ascii: "/")] + name }

    static func withCPath<R>(_ path: [UInt8], _ body: (UnsafePointer<CChar>) -> R) -> R {
        (path.map { CChar(bitPattern: $0) } + [0]).withUnsafeBufferPointer { body($0.baseAddress!) }
    }

    static func mkdir(_ path: [UInt8]) throws {
        guard withCPath(path, { Glibc.mkdir($0, 0o755) }) == 0 else { throw Failure("mkdir", path) }
    }

    static func write(_ path: [UInt8], _ data: Data) throws {
        let fd = withCPath(path) { open($0, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644) }
        guard fd >= 0 else { throw Failure("open", path) }
        defer { close(fd) }
        let n = data.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard n == data.count else { throw Failure("write", path) }
    }

    static func read(_ path: [UInt8]) throws -> [UInt8] {
        let fd = withCPath(path) { open($0, O_RDONLY | O_CLOEXEC) }
        guard fd >= 0 else { throw Failure("open", path) }
        defer { close(fd) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 { throw Failure("read", path) }
            if n == 0 { return out }
            out += buffer[0..<n]
        }
    }

    static func unlink(_ path: [UInt8]) throws {
        guard withCPath(path, { Glibc.unlink($0) }) == 0 else { throw Failure("unlink", path) }
    }

    static func exists(_ path: [UInt8]) -> Bool { withCPath(path) { access($0, F_OK) } == 0 }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ call: String, _ path: [UInt8]) {
            description = "\(call) \(PathBytes.display(PathBytes.string(path))): \(String(cString: strerror(errno)))"
        }
    }
}
