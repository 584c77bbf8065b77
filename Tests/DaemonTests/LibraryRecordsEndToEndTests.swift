import Foundation
import XCTest
import PhotoqProtocol
import TestSupport

/// The real photoqd and photoq: capture dates filter and show, formats are
/// recorded and counted, byte-identical copies fold into one result.
final class LibraryRecordsEndToEndTests: XCTestCase {
    /// A photo copied today but taken in 2015 is found by `--before 2016-01-01`, not by `--after`.
    func testCaptureDatesFormatsAndCopies() throws {
        let dir = try TestEnvironment.temporaryDirectory(self, prefix: "pqrecords")
        let daemon = try DaemonProcess(self, directory: dir)
        let samples = try TestEnvironment.data("samples")
        let root = daemon.root
        let old = root + "/old-dog.jpg"
        try Data(Self.insertingCaptureDate("2015:07:04 18:22:03", offset: "+02:00", subseconds: "25",
                                           into: Array(try Data(contentsOf: URL(fileURLWithPath: samples + "/dog.jpg")))))
            .write(to: URL(fileURLWithPath: old))
        for name in ["kite.jpg", "giraffe.jpg", "scream.jpg"] {
            try FileManager.default.copyItem(atPath: samples + "/" + name, toPath: root + "/" + name)
        }
        let copies = ["a", "b", "c"].map { root + "/\($0)/horses.jpg" }
        for copy in copies {
            try FileManager.default.createDirectory(atPath: (copy as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: samples + "/horses.jpg", toPath: copy)
        }
        let fixtures = dir + "/fixtures"
        _ = try TestEnvironment.runReference("make_format_fixtures.py", [samples, fixtures, "256"])
        for name in ["dog-rgb.png", "dog-lossy.webp"] {
            try FileManager.default.copyItem(atPath: fixtures + "/" + name, toPath: root + "/" + name)
        }
        // Every file modified today: only capture dates can place one before 2016.
        for name in try FileManager.default.subpathsOfDirectory(atPath: root) {
            try FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: root + "/" + name)
        }
        let photoCount = 4 + copies.count + 2
        try daemon.start()
        try daemon.settle("every photo indexed") { $0.indexed + $0.failed == photoCount }
        XCTAssertEqual(try daemon.status().failed, 0, daemon.log)

        // JSON: taken (with offset) or null, modified, format, also.
        let results = try Self.results(daemon.photoq(["--min-score", "-1", "--json", "-n", "20", "a dog"]))
        // Dates: taken in 2015 though modified today. (The samples' own EXIF
        // dates count too: kite 2010, horses 2013; giraffe and scream have none.)
        let takenBefore2016 = Set(results.filter { ($0["taken"] as? String).map { $0 < "2016" } ?? false }
            .compactMap { $0["path"] as? String })
        let before = try Self.results(daemon.photoq(["--min-score", "-1", "--json", "--before", "2016-01-01", "-n", "20", "a dog"]))
        XCTAssertEqual(Set(before.compactMap { $0["path"] as? String }), takenBefore2016)
        XCTAssertTrue(takenBefore2016.isSuperset(of: [old, root + "/kite.jpg"]), "\(takenBefore2016)")
        XCTAssertFalse(takenBefore2016.contains(root + "/giraffe.jpg"))
        let after = try daemon.photoq(["--min-score", "-1", "--after", "2016-01-01", "-n", "20", "a dog"])
        XCTAssertEqual(after.status, 0, after.stderr)
        XCTAssertFalse(after.stdout.contains(old))
        XCTAssertTrue(after.stdout.contains(root + "/giraffe.jpg\n") && after.stdout.contains(root + "/scream.jpg\n"))

        let distinct = photoCount - (copies.count - 1)
        XCTAssertEqual(results.count, distinct, "copies fold into one result")
        let byPath = Dictionary(results.map { ($0["path"] as? String ?? "", $0) }, uniquingKeysWith: { a, _ in a })
        XCTAssertEqual(byPath[old]?["taken"] as? String, "2015-07-04T18:22:03.250+02:00")
        XCTAssertEqual(byPath[old]?["format"] as? String, "jpeg")
        XCTAssertEqual(byPath[root + "/kite.jpg"]?["taken"] as? String, "2010-06-06T12:27:25.110")
        XCTAssertTrue(byPath[root + "/giraffe.jpg"]?["taken"] is NSNull, "taken is null when unknown")
        XCTAssertTrue((byPath[root + "/giraffe.jpg"]?["modified"] as? String)?.hasSuffix("Z") == true)
        XCTAssertEqual(byPath[root + "/dog-rgb.png"]?["format"] as? String, "png")
        XCTAssertEqual(byPath[root + "/dog-lossy.webp"]?["format"] as? String, "webp")
        for result in results { XCTAssertNotNil(result["also"] as? [String], "also always present: \(result)") }
        let horses = results.filter { ($0["path"] as? String)?.hasSuffix("/horses.jpg") == true }
        XCTAssertEqual(horses.count, 1)
        let primary = try XCTUnwrap(horses.first?["path"] as? String)
        XCTAssertEqual(horses.first?["taken"] as? String, "2013-04-13T15:02:50")
        XCTAssertEqual(Set((horses.first?["also"] as? [String]) ?? []), Set(copies).subtracting([primary]))

        // k distinct photos, though copies score alike.
        let three = try Self.results(daemon.photoq(["--min-score", "-1", "--json", "-n", "3", "horses in a field"]))
        XCTAssertEqual(three.count, 3)
        XCTAssertEqual(Set(three.compactMap { $0["path"] as? String }).count, 3)

        // Lines: copies indented under the result; -0: primaries only unless --all-copies.
        // (Which copy leads may differ by query: their vectors can differ in the last bits.)
        let lines = try daemon.photoq(["--min-score", "-1", "-n", "20", "horses in a field"]).stdout.split(separator: "\n").map(String.init)
        let at = try XCTUnwrap(lines.firstIndex { $0.hasSuffix("/horses.jpg") && !$0.hasPrefix(" ") }, "\(lines)")
        XCTAssertEqual(Set(lines[at...(at + 2)]), Set(copies.map { $0 == lines[at] ? $0 : "  also: " + $0 }))
        XCTAssertEqual(lines.filter { !$0.hasPrefix("  also: ") }.count, distinct)
        let nul = try daemon.photoq(["--min-score", "-1", "-0", "-n", "20", "horses in a field"]).stdout.split(separator: "\0")
        XCTAssertEqual(nul.count, distinct)
        let everyCopy = try daemon.photoq(["--min-score", "-1", "-0", "--all-copies", "-n", "20", "horses in a field"]).stdout.split(separator: "\0")
        XCTAssertEqual(everyCopy.count, photoCount)
        XCTAssertTrue(Set(copies).isSubset(of: Set(everyCopy.map(String.init))))

        // --similar on one copy: its copies are not "similar" results.
        let similar = try daemon.photoq(["--similar", copies[1], "-n", "20"])
        XCTAssertEqual(similar.status, 0, similar.stderr)
        XCTAssertFalse(similar.stdout.contains("horses.jpg"), similar.stdout)
        XCTAssertEqual(similar.stdout.split(separator: "\n").count, distinct - 1)

        // Status: every format counted, 0 when none.
        let status = try XCTUnwrap(try JSONSerialization.jsonObject(
            with: Data(daemon.photoq(["--status", "--json"]).stdout.utf8)) as? [String: Any])
        XCTAssertEqual(status["by_format"] as? [String: Int],
                       ["jpeg": 7, "png": 1, "webp": 1, "heic": 0, "avif": 0, "tiff": 0, "gif": 0, "bmp": 0, "raw": 0])

        // A deleted copy leaves the group; a changed one stops being a copy.
        try FileManager.default.removeItem(atPath: copies[0])
        try Data(contentsOf: URL(fileURLWithPath: samples + "/eagle.jpg")).write(to: URL(fileURLWithPath: copies[1]))
        try daemon.settle("copy deleted and another rewritten") { $0.indexed == photoCount - 1 && $0.pending == 0 }
        try eventually("groups follow the changes") {
            let now = try Self.results(daemon.photoq(["--min-score", "-1", "--json", "-n", "20", "horses in a field"]))
            let horse = now.first { ($0["path"] as? String) == copies[2] }
            return now.count == photoCount - 1 && (horse?["also"] as? [String]) == []
        }
    }

    private static func results(_ run: (status: Int32, stdout: String, stderr: String)) throws -> [[String: Any]] {
        XCTAssertEqual(run.status, 0, run.stderr)
        let document = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        return try XCTUnwrap(document?["results"] as? [[String: Any]], run.stdout)
    }

    private func eventually(_ what: String, timeout: Double = 60, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try condition() { return }
            usleep(200_000)
        }
        XCTFail("timed out waiting for: \(what)")
    }

    /// `jpeg` with an EXIF APP1 block after SOI holding DateTimeOriginal,
    /// OffsetTimeOriginal and SubSecTimeOriginal (little-endian TIFF).
    static func insertingCaptureDate(_ date: String, offset: String, subseconds: String, into jpeg: [UInt8]) -> [UInt8] {
        func u16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
        func u32(_ v: Int) -> [UInt8] { u16(v & 0xFFFF) + u16(v >> 16) }
        let dateText = Array(date.utf8) + [0]       // 20 bytes
        let offsetText = Array(offset.utf8) + [0]   // 7 bytes
        let subText = Array(subseconds.utf8) + [0]  // fits inline (≤ 4)
        let exifIFD = 8 + 2 + 12 + 4
        let data = exifIFD + 2 + 3 * 12 + 4
        var tiff: [UInt8] = [0x49, 0x49] + u16(42) + u32(8)
        tiff += u16(1) + u16(0x8769) + u16(4) + u32(1) + u32(exifIFD) + u32(0)
        tiff += u16(3)
        tiff += u16(0x9003) + u16(2) + u32(dateText.count) + u32(data)
        tiff += u16(0x9011) + u16(2) + u32(offsetText.count) + u32(data + dateText.count)
        tiff += u16(0x9291) + u16(2) + u32(subText.count) + subText + [UInt8](repeating: 0, count: 4 - subText.count)
        tiff += u32(0)
        tiff += dateText + offsetText
        let payload = Array("Exif".utf8) + [0, 0] + tiff
        let length = payload.count + 2
        return Array(jpeg[0..<2]) + [0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + payload + Array(jpeg[2...])
    }
}
