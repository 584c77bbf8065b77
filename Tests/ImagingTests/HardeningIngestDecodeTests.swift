import Foundation
import Glibc
import XCTest
@testable import Imaging
import TestSupport

/// Hostile files against the decoder: special files, decompression and CPU
/// bombs from tools/fault/ingest_bombs.py, lost image data.
final class HardeningIngestDecodeTests: XCTestCase {
    /// The bomb set, one of each kind: kind → path.
    private func bombs(scans: Int = 5000) throws -> [String: String] {
        let dir = try TestEnvironment.temporaryDirectory(self, prefix: "pqbomb")
        let script = TestEnvironment.repoRoot + "/tools/fault/ingest_bombs.py"
        guard FileManager.default.isExecutableFile(atPath: TestEnvironment.python) else {
            if TestEnvironment.requireAssets { XCTFail("no Python at \(TestEnvironment.python)") }
            throw XCTSkip("no Python at \(TestEnvironment.python) (run scripts/install-deps)")
        }
        let r = try TestEnvironment.run(TestEnvironment.python, [script, dir, "--copies", "1", "--scans", String(scans)])
        XCTAssertEqual(r.status, 0, String(decoding: r.stderr, as: UTF8.self))
        var kinds: [String: String] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: dir) where name.hasSuffix("-0.jpg") {
            kinds[String(name.dropLast("-0.jpg".count))] = dir + "/" + name
        }
        return kinds
    }

    private func expectError(_ what: String, file: StaticString = #filePath, line: UInt = #line,
                             _ matches: (ImageError) -> Bool, _ body: () throws -> Void) {
        do {
            try body()
            XCTFail("\(what): no error", file: file, line: line)
        } catch let error as ImageError {
            XCTAssertTrue(matches(error), "\(what): \(error)", file: file, line: line)
        } catch {
            XCTFail("\(what): not an ImageError: \(error)", file: file, line: line)
        }
    }

    private static func isOverBudget(_ e: ImageError, containing text: String = "") -> Bool {
        if case .overBudget(let message) = e { return text.isEmpty || message.contains(text) }
        return false
    }

    /// Runs `body` on a thread; fails instead of hanging when it blocks.
    private func withinSeconds(_ seconds: Double, _ what: String, unblock: () -> Void = {}, _ body: @escaping @Sendable () -> Void) {
        let done = DispatchSemaphore(value: 0)
        Thread { body(); done.signal() }.start()
        if done.wait(timeout: .now() + seconds) == .timedOut {
            XCTFail("\(what) still running after \(seconds) s")
            unblock()
            _ = done.wait(timeout: .now() + 10)
        }
    }

    // MARK: - Special files

    func testFIFONamedLikeAPhotoIsRefusedWithoutBlocking() throws {
        let dir = try TestEnvironment.temporaryDirectory(self)
        let fifo = dir + "/pipe.jpg"
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let result = ErrorBox()
        withinSeconds(5, "reading a FIFO", unblock: {
            // Old behaviour: open() waits for a writer; be one so the thread ends.
            let fd = open(fifo, O_WRONLY | O_NONBLOCK)
            if fd >= 0 { close(fd) }
        }) {
            do { _ = try JPEGDecoder().decode(path: fifo) } catch { result.error = error }
        }
        guard case .unreadable(_, let reason)? = result.error as? ImageError else {
            return XCTFail("expected unreadable, got \(String(describing: result.error))")
        }
        XCTAssertTrue(reason.contains("FIFO"), reason)
    }

    func testDevicesAndSocketsAreRefused() throws {
        expectError("/dev/zero", { if case .unreadable(_, let r) = $0 { r.contains("character device") } else { false } }) {
            _ = try FileBytes.read(path: "/dev/zero")
        }
    }

    func testSymbolicLinkIsRefusedWhenNotFollowed() throws {
        let dir = try TestEnvironment.temporaryDirectory(self)
        let link = dir + "/link.jpg"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: try TestEnvironment.data("samples/dog.jpg"))
        XCTAssertNoThrow(try JPEGDecoder().decode(path: link), "links are followed by default")
        let strict = JPEGDecoder(budget: .standard, followsSymlinks: false)
        expectError("link", { if case .unreadable(_, let r) = $0 { r.contains("symbolic link") } else { false } }) {
            _ = try strict.decode(path: link)
        }
    }

    // MARK: - Memory

    func testProgressiveCMYKBombIsRefusedBeforeDecoding() throws {
        let path = try XCTUnwrap(try bombs()["cmyk-progressive"])
        let header = try JPEGDecoder().readHeader(path: path)
        XCTAssertEqual(header.width, 10000)
        XCTAssertEqual(header.components, 4)
        XCTAssertTrue(header.progressive)
        // 10000² pixels, 4 components, 2 bytes per coefficient.
        XCTAssertEqual(header.coefficientBytes, 1250 * 1250 * 4 * 128)
        expectError("progressive CMYK 10000²", { Self.isOverBudget($0, containing: "MiB of memory") }) {
            _ = try JPEGDecoder().decode(path: path, targetSize: ImageSize(square: 224))
        }
    }

    func testProgressiveColourBombIsRefusedAndAGenerousBudgetLetsItThrough() throws {
        let path = try XCTUnwrap(try bombs()["ycc-progressive"])
        expectError("progressive 8000² 4:4:4", { Self.isOverBudget($0) }) {
            _ = try JPEGDecoder().decode(path: path, targetSize: ImageSize(square: 224))
        }
        // The estimate is what decides: with room for it, libjpeg runs (and
        // finds the data missing).
        let generous = JPEGDecoder(budget: DecodeBudget(maximumWorkingBytes: 1 << 30))
        expectError("with a 1 GiB budget", { if case .overBudget = $0 { false } else { true } }) {
            _ = try generous.decode(path: path, targetSize: ImageSize(square: 224))
        }
    }

    func testSparseHugeFileIsRefusedWithoutBeingRead() throws {
        let path = try XCTUnwrap(try bombs()["sparse"])
        var info = stat()
        XCTAssertEqual(stat(path, &info), 0)
        XCTAssertGreaterThan(Int(info.st_size), 1 << 30)
        expectError("1.5 GB sparse file", { Self.isOverBudget($0, containing: "limit for a photo file") }) {
            _ = try JPEGDecoder().decode(path: path)
        }
    }

    func testLimiterKeepsConcurrentDecodesWithinOneBudget() throws {
        let limiter = DecodeLimiter(capacity: 100)
        let tracker = PeakTracker()
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            _ = try? limiter.withReservation(60) {
                tracker.enter(60)
                usleep(20_000)
                tracker.leave(60)
            }
        }
        XCTAssertEqual(tracker.peak, 60, "two 60-byte reservations overlapped in a 100-byte budget")
        XCTAssertEqual(limiter.reservedBytes, 0)
        // A decode through the limiter gives its share back.
        let decoder = JPEGDecoder(budget: .standard, limiter: limiter)
        _ = try decoder.decode(path: try TestEnvironment.data("samples/dog.jpg"), targetSize: ImageSize(square: 224))
        XCTAssertEqual(limiter.reservedBytes, 0)
    }

    // MARK: - CPU

    func testManyScanFileStopsAtTheScanLimit() throws {
        let path = try XCTUnwrap(try bombs()["many-scans"])
        expectError("5000 scans", { Self.isOverBudget($0, containing: "more than 100 scans") }) {
            _ = try JPEGDecoder().decode(path: path, targetSize: ImageSize(square: 224))
        }
    }

    func testCPUTimeLimitStopsADecode() throws {
        let path = try XCTUnwrap(try bombs()["many-scans"])
        let decoder = JPEGDecoder(budget: DecodeBudget(maximumCPUSeconds: 0.05), maximumScans: 1_000_000)
        expectError("CPU limit", { Self.isOverBudget($0, containing: "CPU time") }) {
            _ = try decoder.decode(path: path, targetSize: ImageSize(square: 224))
        }
    }

    func testCancelStopsADecodeInFlight() throws {
        let path = try XCTUnwrap(try bombs(scans: 20000)["many-scans"])
        let limiter = DecodeLimiter(capacity: DecodeBudget.standard.maximumWorkingBytes)
        let decoder = JPEGDecoder(budget: DecodeBudget(maximumCPUSeconds: 600), limiter: limiter, maximumScans: 1_000_000)
        let result = ErrorBox()
        let done = DispatchSemaphore(value: 0)
        Thread {
            do { _ = try decoder.decode(path: path, targetSize: ImageSize(square: 224)) } catch { result.error = error }
            done.signal()
        }.start()
        usleep(300_000)
        XCTAssertEqual(done.wait(timeout: .now()), .timedOut, "the decode should still be running")
        limiter.cancel()
        XCTAssertEqual(done.wait(timeout: .now() + 2), .success, "cancel did not stop the decode")
        XCTAssertEqual(result.error as? ImageError, .cancelled)
        expectError("after cancel", { $0 == .cancelled }) { _ = try decoder.decode(path: path) }
    }

    // MARK: - Lost data

    /// A flipped bit that changes a Huffman code's length desynchronises the
    /// decoder: it fills every block with garbage and ends before the data
    /// does, and libjpeg reports the unused bytes as "extraneous data before
    /// EOI", a warning the decoder used to ignore as if it were padding.
    func testUnusedScanDataBeforeEndOfImageIsDamage() throws {
        let jpeg = try ImagingFixtures.readBytes(try TestEnvironment.data("samples/dog.jpg"))
        XCTAssertEqual(Array(jpeg.suffix(2)), [0xFF, 0xD9])
        let leftover = Array(jpeg.dropLast(2)) + [UInt8](repeating: 0x5A, count: 40) + [0xFF, 0xD9]
        expectError("40 unused data bytes", { if case .damaged(let m) = $0 { m.contains("extraneous") } else { false } }) {
            _ = try JPEGDecoder().decode(data: leftover, targetSize: ImageSize(square: 224))
        }
        // Zero padding is still just padding, and the lenient decoder takes both.
        let padded = Array(jpeg.dropLast(2)) + [UInt8](repeating: 0, count: 40) + [0xFF, 0xD9]
        XCTAssertNoThrow(try JPEGDecoder().decode(data: padded, targetSize: ImageSize(square: 224)))
        XCTAssertNoThrow(try JPEGDecoder(rejectsCorruptData: false).decode(data: leftover))
    }

    /// Bit flips in the scan data of real photos (tools/fault/ingest_bitflips.py):
    /// every copy libjpeg can tell is damaged is refused. Some flips only
    /// change a coefficient and are invisible to any decoder.
    func testBitFlippedPhotosAreRefusedAsDamaged() throws {
        let source = try TestEnvironment.data("coco-val2017/images")
        let dir = try TestEnvironment.temporaryDirectory(self, prefix: "pqflip")
        let script = TestEnvironment.repoRoot + "/tools/fault/ingest_bitflips.py"
        let r = try TestEnvironment.run(TestEnvironment.python, [script, source, dir, "--count", "40"])
        XCTAssertEqual(r.status, 0, String(decoding: r.stderr, as: UTF8.self))
        var refused = 0, damaged = 0
        for name in try FileManager.default.contentsOfDirectory(atPath: dir) {
            do {
                _ = try JPEGDecoder().decode(path: dir + "/" + name, targetSize: ImageSize(square: 224))
            } catch let error as ImageError {
                refused += 1
                if case .damaged = error { damaged += 1 }
            }
        }
        // Measured for seed 15: 19 of the first 40 are detectable, 17 of them
        // by libjpeg's warnings (most by unused data before EOI, which used to
        // pass as padding), 2 by fatal errors.
        XCTAssertGreaterThanOrEqual(refused, 19, "refused \(refused) of 40, \(damaged) as damaged")
        XCTAssertGreaterThanOrEqual(damaged, 17)
    }
}

private final class ErrorBox: @unchecked Sendable { var error: (any Error)? }

private final class PeakTracker: @unchecked Sendable {
    private let lock = NSLock()
    private var current = 0
    private(set) var peak = 0
    func enter(_ n: Int) { lock.withLock { current += n; peak = max(peak, current) } }
    func leave(_ n: Int) { lock.withLock { current -= n } }
}
