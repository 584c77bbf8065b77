import Foundation
import Glibc
import XCTest
import Imaging
import TestSupport
import Thumbnails

/// `photoqd --thumbnails` against the real binary: indexing leaves a fresh
/// freedesktop "normal" thumbnail for each photo, made from its own decode,
/// and leaves a file manager's fresh thumbnail as it was.
final class ThumbnailIngestEndToEndTests: XCTestCase {
    private func status(_ path: String) throws -> stat {
        var info = stat()
        guard lstat(path, &info) == 0 else { throw DaemonProcess.Failure("no \(path)") }
        return info
    }

    func testIndexingWritesNormalThumbnailsAndKeepsFreshOnes() throws {
        let directory = try TestEnvironment.temporaryDirectory(self, prefix: "pqt")
        let daemon = try DaemonProcess(self, directory: directory)
        let samples = try SamplePhotos.samples().filter { ["dog.jpg", "kite.jpg", "giraffe.jpg"].contains(($0 as NSString).lastPathComponent) }
        let photos = try SamplePhotos.copy(samples, into: daemon.root + "/samples")
        let store = ThumbnailStore(cacheHome: directory + "/cache")
        // A file manager's thumbnail of the kite, fresh: it must survive indexing untouched.
        let kite = daemon.root + "/samples/kite.jpg"
        try store.write(RGBImage(width: 10, height: 10, fill: (1, 2, 3)), forPath: kite,
                        modified: Int64(try status(kite).st_mtim.tv_sec), size: .normal)
        let kiteThumbnail = store.thumbnailPath(forPath: kite, size: .normal)
        let kiteBefore = try status(kiteThumbnail)

        try daemon.start(extraEnvironment: ["XDG_CACHE_HOME": directory + "/cache"], extraArguments: ["--thumbnails"])
        try daemon.settle("samples indexed") { $0.indexed == photos.count }
        try eventually("thumbnails written", timeout: 30) {
            photos.allSatisfy { store.cachedThumbnail(forPath: $0, size: .normal) != nil }
        }
        for photo in photos where photo != kite {
            let png = try XCTUnwrap(store.cachedThumbnail(forPath: photo, size: .normal))
            let image = try ImageDecoder().decode(data: png).image
            XCTAssertEqual(max(image.width, image.height), 128, photo)
            let original = try ImageDecoder().decode(path: photo).image
            XCTAssertEqual(try PNGText.read(png)["Thumb::Image::Width"], String(original.width))
            XCTAssertEqual(Double(image.width) / Double(image.height), Double(original.width) / Double(original.height),
                           accuracy: 0.02)
            // The pixels are the photo's: compare with a thumbnail made from a full decode.
            let reference = resize(original, width: image.width, height: image.height)
            let difference = zip(image.pixels, reference.pixels).map { abs(Int($0) - Int($1)) }.reduce(0, +)
            XCTAssertLessThan(Double(difference) / Double(image.pixels.count), 6, photo)
            XCTAssertEqual(try status(store.thumbnailPath(forPath: photo, size: .normal)).st_mode & 0o777, 0o600)
        }
        XCTAssertEqual(try status(directory + "/cache/thumbnails/normal").st_mode & 0o777, 0o700)
        let kiteAfter = try status(kiteThumbnail)
        XCTAssertEqual(kiteAfter.st_ino, kiteBefore.st_ino, "a fresh thumbnail is not rewritten")
        XCTAssertEqual(kiteAfter.st_mtim.tv_nsec, kiteBefore.st_mtim.tv_nsec)
        XCTAssertFalse(FileManager.default.fileExists(atPath: store.thumbnailPath(forPath: kite, size: .large)),
                       "indexing writes normal thumbnails only")
    }
}
