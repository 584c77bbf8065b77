import Foundation
import XCTest
import Imaging
import TestSupport

/// Shared helpers for the Imaging tests: fixtures from the Pillow reference,
/// raw array files, hand-built EXIF segments and stderr capture.
enum ImagingFixtures {
    struct Described: Decodable {
        let file: String
        let size: [Int]
        let quadrants: [[Double]]?
        let mode: String?
        let pixels: String?
        let progressive: Bool?
    }

    /// Writes the Pillow-generated fixtures into a fresh directory.
    static func generate(_ testCase: XCTestCase) throws -> [String: Described] {
        let directory = try TestEnvironment.temporaryDirectory(testCase, prefix: "imaging-fixtures")
        let json = try TestEnvironment.runReference("imaging_reference.py", ["fixtures", directory])
        return try JSONDecoder().decode([String: Described].self, from: json)
    }

    /// Upright 64×48 test pattern: quadrants TL red, TR green, BL blue, BR yellow
    /// (the same colours the Python reference uses).
    static let quadrantColours: [(Double, Double, Double)] = [(220, 30, 30), (30, 200, 40), (30, 40, 220), (230, 220, 30)]

    static func quadrantImage(width: Int, height: Int) -> RGBImage {
        var image = RGBImage(width: width, height: height)
        for y in 0..<height {
            for x in 0..<width {
                let c = quadrantColours[(y < height / 2 ? 0 : 2) + (x < width / 2 ? 0 : 1)]
                image[x, y] = (UInt8(c.0), UInt8(c.1), UInt8(c.2))
            }
        }
        return image
    }

    /// Mean colour of the central half of each quadrant (TL, TR, BL, BR).
    static func quadrantMeans(_ image: RGBImage) -> [(Double, Double, Double)] {
        func mean(_ x0: Int, _ x1: Int, _ y0: Int, _ y1: Int) -> (Double, Double, Double) {
            var sum = (0.0, 0.0, 0.0)
            for y in y0..<y1 {
                for x in x0..<x1 {
                    let p = image[x, y]
                    sum.0 += Double(p.0); sum.1 += Double(p.1); sum.2 += Double(p.2)
                }
            }
            let n = Double((x1 - x0) * (y1 - y0))
            return (sum.0 / n, sum.1 / n, sum.2 / n)
        }
        let w = image.width, h = image.height
        let left = (w / 8, 3 * w / 8), right = (w / 2 + w / 8, w / 2 + 3 * w / 8)
        let top = (h / 8, 3 * h / 8), bottom = (h / 2 + h / 8, h / 2 + 3 * h / 8)
        return [mean(left.0, left.1, top.0, top.1), mean(right.0, right.1, top.0, top.1),
                mean(left.0, left.1, bottom.0, bottom.1), mean(right.0, right.1, bottom.0, bottom.1)]
    }

    static func assertColour(_ actual: (Double, Double, Double), _ expected: (Double, Double, Double),
                             tolerance: Double, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        let difference = max(abs(actual.0 - expected.0), abs(actual.1 - expected.1), abs(actual.2 - expected.2))
        XCTAssertLessThanOrEqual(difference, tolerance, "\(message): got \(actual), expected \(expected)",
                                 file: file, line: line)
    }

    /// A JPEG with an APP1 Exif segment carrying `orientation`, inserted right
    /// after SOI. The TIFF inside is written by hand in either byte order.
    static func insertingExifOrientation(_ orientation: UInt16, into jpeg: [UInt8], bigEndian: Bool) -> [UInt8] {
        func u16(_ v: UInt16) -> [UInt8] { bigEndian ? [UInt8(v >> 8), UInt8(v & 0xFF)] : [UInt8(v & 0xFF), UInt8(v >> 8)] }
        func u32(_ v: UInt32) -> [UInt8] {
            bigEndian ? [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
                      : [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24)]
        }
        var tiff: [UInt8] = bigEndian ? [0x4D, 0x4D] : [0x49, 0x49]
        tiff += u16(42) + u32(8)                       // magic, IFD0 at offset 8
        tiff += u16(2)                                 // two entries
        tiff += u16(0x010F) + u16(2) + u32(4) + Array("cam\0".utf8)   // Make (ASCII, fits inline)
        tiff += u16(0x0112) + u16(3) + u32(1) + u16(orientation) + u16(0)
        tiff += u32(0)                                 // no next IFD
        let payload = Array("Exif".utf8) + [0, 0] + tiff
        let length = payload.count + 2
        let segment: [UInt8] = [0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + payload
        return Array(jpeg[0..<2]) + segment + Array(jpeg[2...])
    }

    static func readFloats(_ path: String) throws -> [Float] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }

    static func writeFloats(_ values: [Float], to path: String) throws {
        try values.withUnsafeBytes { Data($0) }.write(to: URL(fileURLWithPath: path))
    }

    static func readBytes(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// Runs `body` with file descriptor 2 redirected to a temporary file and
    /// returns what was written there.
    static func capturingStandardError(_ body: () throws -> Void) rethrows -> String {
        let path = NSTemporaryDirectory() + "imaging-stderr-\(getpid())-\(UUID().uuidString.prefix(8))"
        let capture = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o600)
        precondition(capture >= 0, "cannot create \(path)")
        let saved = dup(2)
        fflush(nil)
        dup2(capture, 2)
        defer {
            fflush(nil)
            dup2(saved, 2)
            close(saved)
            close(capture)
            unlink(path)
        }
        try body()
        fflush(nil)
        return (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }

    static func meanAbsoluteDifference(_ a: [UInt8], _ b: [UInt8]) -> Double {
        precondition(a.count == b.count)
        var sum = 0
        for i in a.indices { sum += abs(Int(a[i]) - Int(b[i])) }
        return Double(sum) / Double(max(a.count, 1))
    }
}
