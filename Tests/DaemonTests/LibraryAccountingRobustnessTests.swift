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
        var generator = SplitMix(seed: 2024)
        var written = 0
        for name in sources {
            let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixtures + "/" + name)))
            let ext = (name as NSString).pathExtension
            let stem = (name as NSString).deletingPathExtension
            for (k, damaged) in Damage.variants(of: original, format: Damage.format(of: ext), generator: &generator).enumerated() {
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
        XCTAssertEqual(try daemon.photoq(["--no-rerank", "a dog"]).status, status.indexed > 0 ? 0 : 1)
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

    static func variants(of original: [UInt8], format: String, generator: inout SplitMix) -> [[UInt8]] {
        var out: [[UInt8]] = []
        let header = min(original.count, 600)
        for _ in 0..<4 { out.append(Array(original.prefix(1 + generator.next(original.count - 1)))) }   // truncated
        for trial in 0..<4 {   // bits flipped in the header
            var copy = original
            for _ in 0..<(1 + trial % 4) { copy[generator.next(header)] ^= UInt8(1 << generator.next(8)) }
            out.append(copy)
        }
        for trial in 0..<2 {   // bytes overwritten in the data
            var copy = original
            for _ in 0..<(1 + trial * 4) { copy[header / 2 + generator.next(original.count - header / 2)] = UInt8(generator.next(256)) }
            out.append(copy)
        }
        var block = original   // a block of garbage
        let start = generator.next(original.count)
        for i in start..<min(start + 64, block.count) { block[i] = UInt8(generator.next(256)) }
        out.append(block)
        out.append(declaringHugeSize(original, format: format) ?? Array(original.prefix(original.count / 2)))
        var wrong = original   // another format's magic
        let magics: [[UInt8]] = [[0xFF, 0xD8, 0xFF], [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], Array("GIF89a".utf8),
                                 Array("II*\0".utf8), Array("RIFF\0\0\0\0WEBP".utf8), Array("BM".utf8)]
        for (i, byte) in magics[generator.next(magics.count)].enumerated() where i < wrong.count { wrong[i] = byte }
        out.append(wrong)
        out.append([])   // zero bytes
        return out
    }

    /// The header claiming 60000 × 60000, checksums kept valid.
    static func declaringHugeSize(_ original: [UInt8], format: String) -> [UInt8]? {
        var copy = original
        func put32BE(_ v: UInt32, _ at: Int) { for i in 0..<4 { copy[at + i] = UInt8(v >> (24 - 8 * i) & 0xFF) } }
        func put32LE(_ v: UInt32, _ at: Int) { for i in 0..<4 { copy[at + i] = UInt8(v >> (8 * i) & 0xFF) } }
        func put16LE(_ v: UInt16, _ at: Int) { copy[at] = UInt8(v & 0xFF); copy[at + 1] = UInt8(v >> 8) }
        switch format {
        case "png":
            put32BE(60000, 16); put32BE(60000, 20)
            put32BE(crc32(Array(copy[12..<29])), 29)
        case "gif": put16LE(65535, 6); put16LE(65535, 8)
        case "bmp": put32LE(60000, 18); put32LE(60000, 22)
        case "heif", "avif":
            guard let ispe = find(Array("ispe".utf8), in: original) else { return nil }
            put32BE(60000, ispe + 8); put32BE(60000, ispe + 12)
        case "jpeg":
            guard let sof = find([0xFF, 0xC0], in: original) else { return nil }
            copy[sof + 5] = 0xEA; copy[sof + 6] = 0x60; copy[sof + 7] = 0xEA; copy[sof + 8] = 0x60
        default: return nil
        }
        return copy
    }

    static func find(_ needle: [UInt8], in bytes: [UInt8]) -> Int? {
        guard bytes.count >= needle.count else { return nil }
        return (0...(bytes.count - needle.count)).first { i in needle.indices.allSatisfy { bytes[i + $0] == needle[$0] } }
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}

/// A small seeded generator, so a failure can be reproduced.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next(_ bound: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return bound <= 0 ? 0 : Int((z ^ (z >> 31)) % UInt64(bound))
    }
}
