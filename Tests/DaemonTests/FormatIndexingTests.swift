import Foundation
import XCTest
import PhotoqProtocol
import TestSupport

/// The real photoqd indexes every still-image format, and the same photo in
/// each format lands in the same place of the joint space.
final class FormatIndexingTests: XCTestCase {
    func testTheSamePhotoInEveryFormatIsIndexedAndFoundTogether() throws {
        let dir = try TestEnvironment.temporaryDirectory(self, prefix: "pqformats")
        let daemon = try DaemonProcess(self, directory: dir)
        let fixtures = dir + "/fixtures"
        let samples = try TestEnvironment.data("samples")
        _ = try TestEnvironment.runReference("make_format_fixtures.py", [samples, fixtures, "256"])
        // The dog in every format, and other photos as JPEG for contrast.
        let dogs = ["dog.jpg", "dog-rgb.png", "dog-lossy.webp", "dog-photo.heic", "dog-photo.avif", "dog-rgb.tif",
                    "dog-first.gif", "dog-rgb.bmp", "dog-preview.dng", "dog-linear.dng"]
        let others = ["kite.jpg", "horses.jpg", "scream.jpg", "giraffe.jpg"]
        for name in dogs + others {
            try FileManager.default.copyItem(atPath: fixtures + "/" + name, toPath: daemon.root + "/" + name)
        }
        try daemon.start()
        try daemon.settle("every format indexed") { $0.indexed + $0.failed == dogs.count + others.count }
        XCTAssertEqual(try daemon.status().failed, 0, daemon.log)

        // Nearest to the JPEG: the other formats of the same photo, before any other photo.
        let request = SimilarRequest(photo: PhotoReference(path: daemon.root + "/dog.jpg"), k: dogs.count + others.count)
        let hits = try DaemonConnection(path: daemon.socket, timeout: 10)
            .call(.similar(request), expecting: SearchResult.self).hits
        let names = hits.map { ($0.path as NSString).lastPathComponent }.filter { $0 != "dog.jpg" }
        XCTAssertEqual(Set(names.prefix(dogs.count - 1)), Set(dogs.dropFirst()), "ranking: \(names)")

        // libheif and LibRaw are opened when a photo needs them: the daemon
        // that decoded HEIF, AVIF and DNG has them mapped, a search does not load them.
        let pid = try XCTUnwrap(daemon.process?.processIdentifier)
        // Read to the end: /proc files report size 0, and a sized read stops short.
        let maps = String(decoding: try XCTUnwrap(FileHandle(forReadingAtPath: "/proc/\(pid)/maps")).readDataToEndOfFile(),
                          as: UTF8.self)
        XCTAssertTrue(maps.contains("libheif.so"), "photoqd decoded HEIF without libheif mapped?")
        XCTAssertTrue(maps.contains("libraw_r.so"), "photoqd decoded DNG without LibRaw mapped?")
        let search = try TestEnvironment.run(try DaemonProcess.binary("photoq"),
                                             ["--socket", daemon.socket, "--min-score", "-1", "-n", "3", "a dog"],
                                             environment: ["LD_DEBUG": "libs"])
        XCTAssertEqual(search.status, 0)
        let loaded = String(decoding: search.stderr, as: UTF8.self)
        XCTAssertTrue(loaded.contains("libjpeg.so"), "LD_DEBUG=libs printed no loads:\n\(loaded.prefix(2000))")
        for codec in ["libheif", "libraw", "libde265", "libx265", "libaom", "libdav1d"] {
            XCTAssertFalse(loaded.contains(codec), "photoq loaded \(codec) for a search")
        }
        XCTAssertEqual(String(decoding: search.stdout, as: UTF8.self).split(separator: "\n").count, 3)
    }
}
