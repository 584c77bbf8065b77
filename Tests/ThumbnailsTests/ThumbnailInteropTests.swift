import Foundation
import Glibc
import XCTest
import Imaging
@testable import Thumbnails
import TestSupport

/// Thumbnails written by another program by the standard's rules (Pillow,
/// standing in for a file manager) are reused as they are, and replaced
/// only when stale.
final class ThumbnailInteropTests: XCTestCase {
    private func status(_ path: String) -> Glibc.stat {
        var info = Glibc.stat()
        XCTAssertEqual(lstat(path, &info), 0, path)
        return info
    }

    private func setup() throws -> (directory: String, photo: String, store: ThumbnailStore) {
        let directory = try TestEnvironment.temporaryDirectory(self)
        let photo = directory + "/Holiday Photos/été (2).jpg"
        try FileManager.default.createDirectory(atPath: directory + "/Holiday Photos", withIntermediateDirectories: true)
        try Data(try JPEGEncoder.encode(RGBImage(width: 320, height: 240, fill: (20, 30, 220)), quality: 90))
            .write(to: URL(fileURLWithPath: photo))
        var times = [timespec(tv_sec: 1_650_000_000, tv_nsec: 0), timespec(tv_sec: 1_650_000_000, tv_nsec: 0)]
        XCTAssertEqual(utimensat(AT_FDCWD, photo, &times, 0), 0)
        let store = ThumbnailStore(cacheHome: directory + "/cache")
        try FileManager.default.createDirectory(atPath: directory + "/cache/thumbnails/normal", withIntermediateDirectories: true)
        return (directory, photo, store)
    }

    func testAForeignThumbnailIsReusedNotRewritten() throws {
        let (_, photo, store) = try setup()
        let file = store.thumbnailPath(forPath: photo, size: .normal)
        // Pillow names nothing: the test writes where its own MD5 of the URI says.
        _ = try TestEnvironment.runReference("thumbnail_reference.py", ["write", file, photo, "1650000000", "250", "0", "0"])
        let before = status(file)
        let png = try store.thumbnail(forPath: photo, size: .normal)
        let after = status(file)
        XCTAssertEqual(after.st_ino, before.st_ino)
        XCTAssertEqual(after.st_mtim.tv_sec, before.st_mtim.tv_sec)
        XCTAssertEqual(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec)
        XCTAssertEqual(png, try FileBytes.read(path: file))
        let image = try ImageDecoder().decode(data: png).image
        XCTAssertEqual([image.width, image.height], [64, 48], "Pillow's thumbnail, not a new one")
        XCTAssertEqual(image[10, 10].0, 250)
    }

    func testAStaleForeignThumbnailIsReplaced() throws {
        let (_, photo, store) = try setup()
        let file = store.thumbnailPath(forPath: photo, size: .normal)
        _ = try TestEnvironment.runReference("thumbnail_reference.py", ["write", file, photo, "1649999999", "250", "0", "0"])
        let before = status(file)
        XCTAssertNil(store.cachedThumbnail(forPath: photo, size: .normal))
        let png = try store.thumbnail(forPath: photo, size: .normal)
        let after = status(file)
        XCTAssertNotEqual(after.st_ino, before.st_ino, "replaced by rename")
        XCTAssertEqual(after.st_mode & 0o777, 0o600)
        let image = try ImageDecoder().decode(data: png).image
        XCTAssertEqual([image.width, image.height], [128, 96])
        XCTAssertGreaterThan(Int(image[10, 10].2), 180, "the photo's blue, not Pillow's red")
        // And Pillow reads ours back with the right URI and MTime.
        let json = try TestEnvironment.runReference("thumbnail_reference.py", ["text", file])
        let text = try XCTUnwrap((try JSONSerialization.jsonObject(with: json) as? [String: Any])?["text"] as? [String: String])
        XCTAssertEqual(text["Thumb::MTime"], "1650000000")
        XCTAssertEqual(text["Thumb::URI"], FileURI.canonical(path: photo))
    }

    func testAForeignThumbnailForAnotherURIIsNotUsed() throws {
        let (directory, photo, store) = try setup()
        let file = store.thumbnailPath(forPath: photo, size: .normal)
        _ = try TestEnvironment.runReference("thumbnail_reference.py",
                                             ["write", file, directory + "/other.jpg", "1650000000", "250", "0", "0"])
        XCTAssertNil(store.cachedThumbnail(forPath: photo, size: .normal))
    }
}
