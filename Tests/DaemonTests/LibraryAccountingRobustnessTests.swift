import Foundation
import Glibc
import XCTest
import PhotoqProtocol
import TestSupport

/// Over a thousand damaged files of every format in a root indexed by the
/// real photoqd: it neither crashes nor hangs, every file is indexed (it
/// still decodes), failed with a class, or skipped, and memory stays bounded.
final class LibraryAccountingRobustnessTests: XCTestCase {
    func testAThousandDamagedFilesAreEachAccountedForWithoutACrash() throws {
        let dir = try TestEnvironment.temporaryDirectory(self, prefix: "pqdamaged")
        let daemon = try DaemonProcess(self, directory: dir)
        let fixtures = dir + "/fixtures"
        _ = try TestEnvironment.runReference("make_format_fixtures.py", [try TestEnvironment.data("samples"), fixtures, "192"])
        let sources = try FileManager.default.contentsOfDirectory(atPath: fixtures).filter { name in
            name.hasSuffix(".jpg") && !name.contains("-") || LibraryAccountingEndToEndTests.variants.contains { name.hasSuffix("-" + $0) }
        }.sorted()
        var generator = DamagedImages.Generator(seed: 2024)
        var written = 0
        for name in sources {
            let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixtures + "/" + name)))
            let ext = (name as NSString).pathExtension
            let stem = (name as NSString).deletingPathExtension
            for (k, damaged) in DamagedImages.variants(of: original, format: Damage.format(of: ext), counts: Damage.counts, generator: &generator).enumerated() {
                try Data(damaged).write(to: URL(fileURLWithPath: "\(daemon.root)/\(stem)-d\(k).\(ext)"))
                written += 1
            }
        }
        XCTAssertGreaterThanOrEqual(written, 1000)

        let started = Date()
        try daemon.start()
        try daemon.settle("every damaged file accounted for", timeout: 240) {
            $0.indexed + $0.failed + ($0.skipped ?? 0) == written
        }
        let seconds = Date().timeIntervalSince(started)
        let status = try daemon.status()
        guard let pid = daemon.process?.processIdentifier, daemon.process?.isRunning == true else {
            return XCTFail("photoqd is gone:\n\(daemon.log.suffix(3000))")
        }
        let peak = Self.peakResidentKiB(pid)
        print("damaged library: \(written) files, \(status.indexed) indexed, \(status.failed) failed, \(status.skipped ?? 0) skipped "
              + "in \(Int(seconds)) s; photoqd VmHWM \(peak / 1024) MiB; by reason \(status.byReason ?? [:])")
        XCTAssertGreaterThan(status.failed, 100, "\(status)")
        XCTAssertLessThan(peak, 1_536 * 1024, "photoqd's peak memory")
        // Still answering, and the failures listing agrees with the counts.
        let listed = try DaemonConnection(path: daemon.socket, timeout: 10)
            .call(.failures(FailuresRequest(limit: FailuresRequest.maximumLimit)), expecting: FailuresResult.self)
        XCTAssertEqual(listed.total, status.failed + (status.skipped ?? 0))
        XCTAssertEqual(try daemon.photoq(["--min-score", "-1", "--no-rerank", "a dog"]).status, status.indexed > 0 ? 0 : 1)
        XCTAssertEqual(daemon.terminate(), 0, daemon.log.suffix(3000).description)
    }

    static func peakResidentKiB(_ pid: Int32) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return 0 }
        return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
    }
}

/// The damage patterns of `FormatRobustnessTests`, fewer per file.
enum Damage {
    /// 13 damaged copies of each original: over a thousand files in all.
    static let counts = DamagedImages.Counts(truncated: 4, headerFlips: 4, dataOverwrites: 2, garbageBlocks: 1, wrongMagics: 1)

    static func format(of ext: String) -> String {
        switch ext.lowercased() {
        case "jpg", "jpeg": "jpeg"
        case "png": "png"
        case "gif": "gif"
        case "bmp": "bmp"
        case "webp": "webp"
        case "heic": "heif"
        case "avif": "avif"
        default: "other"
        }
    }
}
