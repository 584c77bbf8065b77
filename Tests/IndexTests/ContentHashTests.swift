import Foundation
import XCTest
@testable import Index
import TestSupport

final class ContentHashTests: XCTestCase {
    private func write(_ bytes: [UInt8], _ directory: String, _ name: String) throws -> String {
        let path = directory + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    private func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var rng = SeededGenerator(seed: seed)
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    func testCopiesMatchAndEditsInHeadTailOrSizeDiffer() throws {
        let dir = try TestEnvironment.temporaryDirectory(self)
        let original = randomBytes(300_000, seed: 1)
        let hash = try ContentHash.of(path: write(original, dir, "a.jpg"))
        XCTAssertEqual(try ContentHash.of(path: write(original, dir, "copy.jpg")), hash)
        XCTAssertEqual(ContentHash.of(bytes: original), hash)

        var head = original; head[10] ^= 1
        var tail = original; tail[original.count - 10] ^= 1
        var middle = original; middle[150_000] ^= 1
        XCTAssertNotEqual(ContentHash.of(bytes: head), hash)
        XCTAssertNotEqual(ContentHash.of(bytes: tail), hash)
        XCTAssertNotEqual(ContentHash.of(bytes: original + [0]), hash)
        // Documented blind spot: only the first and last 64 KiB are read.
        XCTAssertEqual(ContentHash.of(bytes: middle), hash)
    }

    func testMissingFileIsAnIOError() {
        XCTAssertThrowsIndexError(try ContentHash.of(path: "/nonexistent/photoq/x.jpg"), .io)
    }

    /// The stored fingerprints must never change between versions: check
    /// against an independent Python implementation of the documented
    /// algorithm for sizes around the block boundaries.
    func testMatchesPythonReference() throws {
        let dir = try TestEnvironment.temporaryDirectory(self)
        let sizes = [0, 1, 7, 8, 9, 65_535, 65_536, 65_537, 131_071, 131_072, 131_073, 200_003]
        var paths: [String] = []
        for (i, size) in sizes.enumerated() { paths.append(try write(randomBytes(size, seed: UInt64(i)), dir, "\(i).bin")) }
        let script = """
        import sys
        M = (1 << 64) - 1
        P1, P2, P3, P5 = 0x9E3779B185EBCA87, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x27D4EB2F165667C5
        def rotl(x, r): return ((x << r) | (x >> (64 - r))) & M
        class Hasher:
            def __init__(self, seed): self.state, self.length = (seed + P5) & M, 0
            def update(self, b):
                full = len(b) // 8 * 8
                for i in range(0, full, 8):
                    lane = int.from_bytes(b[i:i + 8], "little")
                    self.state ^= rotl(lane * P2 & M, 31) * P1 & M
                    self.state = (rotl(self.state, 27) * P1 + P3) & M
                for byte in b[full:]:
                    self.state ^= byte * P5 & M
                    self.state = rotl(self.state, 11) * P1 & M
                self.length = (self.length + len(b)) & M
            def digest(self):
                h = (self.state + self.length) & M
                h ^= h >> 33; h = h * P2 & M; h ^= h >> 29; h = h * P3 & M; h ^= h >> 32
                return h
        block = 65536
        for path in sys.argv[1:]:
            data = open(path, "rb").read()
            h = Hasher(0x70686F746F71)
            h.update(len(data).to_bytes(8, "little"))
            head = min(len(data), block)
            h.update(data[:head])
            tail_start = max(head, len(data) - block)
            if tail_start < len(data): h.update(data[tail_start:])
            print(h.digest())
        """
        let expected = try runPython(script, paths)
        XCTAssertEqual(expected.count, paths.count)
        for (path, value) in zip(paths, expected) {
            XCTAssertEqual(try ContentHash.of(path: path), value, path)
        }
    }

    private func runPython(_ script: String, _ arguments: [String]) throws -> [UInt64] {
        guard FileManager.default.isExecutableFile(atPath: TestEnvironment.python) else {
            if TestEnvironment.requireAssets { XCTFail("no Python at \(TestEnvironment.python)") }
            throw XCTSkip("no Python at \(TestEnvironment.python) (run scripts/install-deps)")
        }
        let result = try TestEnvironment.run(TestEnvironment.python, ["-c", script] + arguments)
        XCTAssertEqual(result.status, 0, String(decoding: result.stderr, as: UTF8.self))
        return String(decoding: result.stdout, as: UTF8.self).split(separator: "\n").compactMap { UInt64($0) }
    }
}
