import Foundation
import Glibc
import XCTest
import Imaging
@testable import Thumbnails
import TestSupport

final class ThumbnailStoreTests: XCTestCase {
    private func gradient(width: Int, height: Int) -> RGBImage {
        var image = RGBImage(width: width, height: height)
        for y in 0..<height { for x in 0..<width { image[x, y] = (UInt8(x * 255 / width), UInt8(y * 255 / height), 90) } }
        return image
    }

    private func status(_ path: String) throws -> Glibc.stat {
        var info = Glibc.stat()
        guard lstat(path, &info) == 0 else { throw ThumbnailError.photoUnreadable(path: path, reason: "stat") }
        return info
    }

    private func modified(_ path: String) throws -> Int64 { Int64(try status(path).st_mtim.tv_sec) }

    private func setModified(_ path: String, _ seconds: Int) {
        var times = [timespec(tv_sec: seconds, tv_nsec: 0), timespec(tv_sec: seconds, tv_nsec: 0)]
        XCTAssertEqual(utimensat(AT_FDCWD, path, &times, 0), 0)
    }

    private func photo(in directory: String, name: String = "photo one.jpg", width: Int = 400, height: Int = 300) throws -> String {
        let path = directory + "/" + name
        try Data(try JPEGEncoder.encode(gradient(width: width, height: height), quality: 90)).write(to: URL(fileURLWithPath: path))
        return path
    }

    func testMakesNormalAndLargeWithTheStandardsTextAndModes() throws {
        let directory = try TestEnvironment.temporaryDirectory(self)
        let path = try photo(in: directory)
        let store = ThumbnailStore(cacheHome: directory + "/cache")
        XCTAssertNil(store.cachedThumbnail(forPath: path, size: .normal))
        for (size, side) in [(ThumbnailSize.normal, 128), (.large, 256)] {
            let png = try store.thumbnail(forPath: path, size: size)
            let decoded = try ImageDecoder().decode(data: png).image
            XCTAssertEqual([decoded.width, decoded.height], [side, side * 3 / 4])
            let text = try PNGText.read(png)
            XCTAssertEqual(text["Thumb::URI"], "file://" + path.replacingOccurrences(of: " ", with: "%20"))
            XCTAssertEqual(text["Thumb::MTime"], String(try modified(path)))
            XCTAssertEqual(text["Thumb::Size"], String(try status(path).st_size))
            XCTAssertEqual(text["Thumb::Image::Width"], "400")
            XCTAssertEqual(text["Thumb::Image::Height"], "300")
            XCTAssertEqual(text["Software"], ThumbnailStore.software)
            let file = store.thumbnailPath(forPath: path, size: size)
            XCTAssertEqual(file, directory + "/cache/thumbnails/\(size.rawValue)/" + ThumbnailStore.fileName(forPath: path))
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: file)), Data(png))
            XCTAssertEqual(try status(file).st_mode & 0o777, 0o600)
            XCTAssertEqual(try status(directory + "/cache/thumbnails/" + size.rawValue).st_mode & 0o777, 0o700)
            XCTAssertEqual(store.cachedThumbnail(forPath: path, size: size), png)
        }
        XCTAssertEqual(try status(directory + "/cache/thumbnails").st_mode & 0o777, 0o700)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory + "/cache/thumbnails/normal")
        XCTAssertEqual(leftovers, [ThumbnailStore.fileName(forPath: path)], "no temporary files are left behind")
    }

    func testModesAreExactUnderAPermissiveUmask() throws {
        let directory = try TestEnvironment.temporaryDirectory(self)
        let path = try photo(in: directory)
        let old = umask(0)
        defer { umask(old) }
        let store = ThumbnailStore(cacheHome: directory + "/cache")
        _ = try store.thumbnail(forPath: path, size: .normal)
        XCTAssertEqual(try status(store.thumbnailPath(forPath: path, size: .normal)).st_mode & 0o777, 0o600)
        XCTAssertEqual(try status(directory + "/cache/thumbnails/normal").st_mode & 0o777, 0o700)
    }

    func testAChangedPhotoGetsANewThumbnail() throws {
        let directory = try TestEnvironment.temporaryDirectory(self)
        let path = try photo(in: directory)
        setModified(path, 1_600_000_000)
        let store = ThumbnailStore(cacheHome: directory + "/cache")
        let first = try store.thumbnail(forPath: path, size: .normal)
        XCTAssertEqual(try PNGText.read(first)["Thumb::MTime"], "1600000000")
        try Data(try JPEGEncoder.encode(RGBImage(width: 200, height: 200, fill: (10, 200, 30)), quality: 90))
            .write(to: URL(fileURLWithPath: path))
        setModified(path, 1_600_000_100)
        XCTAssertNil(store.cachedThumbnail(forPath: path, size: .normal), "stale: MTime no longer matches")
        let second = try store.thumbnail(forPath: path, size: .normal)
        XCTAssertEqual(try PNGText.read(second)["Thumb::MTime"], "1600000100")
        let pixel = try ImageDecoder().decode(data: second).image[64, 64]
        XCTAssertLessThan(abs(Int(pixel.1) - 200), 8, "the new photo's pixels: \(pixel)")
    }

    func testExifOrientationIsApplied() throws {
        let directory = try TestEnvironment.temporaryDirectory(self)
        // Stored landscape 200×100, EXIF 6 (rotate 90° clockwise): upright it is portrait.
        let jpeg = Self.insertingExifOrientation(6, into: try JPEGEncoder.encode(gradient(width: 200, height: 100), quality: 90))
        let path = directory + "/rotated.jpg"
        try Data(jpeg).write(to: URL(fileURLWithPath: path))
        let png = try ThumbnailStore(cacheHome: directory + "/cache").thumbnail(forPath: path, size: .normal)
        let image = try ImageDecoder().decode(data: png).image
        XCTAssertEqual([image.width, image.height], [64, 128])
        XCTAssertEqual(try PNGText.read(png)["Thumb::Image::Width"], "100")
    }

    func testOtherFormatsAndSmallImagesAreNotEnlarged() throws {
        let directory = try TestEnvironment.temporaryDirectory(self)
        let path = directory + "/small.png"
        try Data(try PNGEncoder.encode(gradient(width: 50, height: 40))).write(to: URL(fileURLWithPath: path))
        let png = try ThumbnailStore(cacheHome: directory + "/cache").thumbnail(forPath: path, size: .large)
        XCTAssertEqual(try ImageDecoder().decode(data: png).image, gradient(width: 50, height: 40))
    }

    func testWriteFromAnImageAlreadyDecoded() throws {
        let directory = try TestEnvironment.temporaryDirectory(self)
        let path = try photo(in: directory)
        let store = ThumbnailStore(cacheHome: directory + "/cache")
        try store.write(gradient(width: 298, height: 224), forPath: path, modified: try modified(path), size: .normal,
                        originalSize: ImageSize(width: 400, height: 300))
        let cached = try XCTUnwrap(store.cachedThumbnail(forPath: path, size: .normal))
        let image = try ImageDecoder().decode(data: cached).image
        XCTAssertEqual([image.width, image.height], [128, 96])
        try store.write(gradient(width: 298, height: 224), forPath: path, modified: 12, size: .large)
        XCTAssertNil(store.cachedThumbnail(forPath: path, size: .large), "written for another mtime: stale")
    }

    func testAnUndecodablePhotoIsMarkedFailedUntilItChanges() throws {
        let directory = try TestEnvironment.temporaryDirectory(self)
        let path = directory + "/broken.jpg"
        try Data("not an image".utf8).write(to: URL(fileURLWithPath: path))
        setModified(path, 1_500_000_000)
        let store = ThumbnailStore(cacheHome: directory + "/cache")
        XCTAssertThrowsError(try store.thumbnail(forPath: path, size: .normal)) { error in
            guard case ThumbnailError.undecodable(path, .unrecognisedFormat) = error else { return XCTFail("\(error)") }
        }
        let marker = store.failurePath(forPath: path)
        XCTAssertTrue(marker.hasPrefix(directory + "/cache/thumbnails/fail/photoq-"), marker)
        XCTAssertEqual(try PNGText.read(try FileBytes.read(path: marker))["Thumb::MTime"], "1500000000")
        XCTAssertThrowsError(try store.thumbnail(forPath: path, size: .normal)) { error in
            XCTAssertEqual(error as? ThumbnailError, .failedBefore(path: path))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: store.thumbnailPath(forPath: path, size: .normal)))
        // Fixed: a real photo now, with a new mtime.
        try Data(try JPEGEncoder.encode(gradient(width: 64, height: 64), quality: 90)).write(to: URL(fileURLWithPath: path))
        setModified(path, 1_500_000_050)
        XCTAssertNoThrow(try store.thumbnail(forPath: path, size: .normal))
    }

    func testMissingPhotoAndUnwritableCacheAreTypedErrors() throws {
        let directory = try TestEnvironment.temporaryDirectory(self)
        let store = ThumbnailStore(cacheHome: directory + "/cache")
        XCTAssertThrowsError(try store.thumbnail(forPath: directory + "/nope.jpg", size: .normal)) { error in
            guard case ThumbnailError.photoUnreadable = error else { return XCTFail("\(error)") }
        }
        XCTAssertNil(store.cachedThumbnail(forPath: directory + "/nope.jpg", size: .normal))
        let path = try photo(in: directory)
        try Data("a file where the cache folder should be".utf8).write(to: URL(fileURLWithPath: directory + "/blocked"))
        XCTAssertThrowsError(try ThumbnailStore(cacheHome: directory + "/blocked").thumbnail(forPath: path, size: .normal)) { error in
            guard case ThumbnailError.notWritten = error else { return XCTFail("\(error)") }
        }
    }

    func testCacheHomeFromTheEnvironment() {
        XCTAssertEqual(ThumbnailStore.fromEnvironment(["XDG_CACHE_HOME": "/x/cache", "HOME": "/h"]).root, "/x/cache/thumbnails")
        XCTAssertEqual(ThumbnailStore.fromEnvironment(["XDG_CACHE_HOME": "relative", "HOME": "/h"]).root, "/h/.cache/thumbnails",
                       "a relative XDG_CACHE_HOME is ignored, as the XDG spec says")
        XCTAssertEqual(ThumbnailStore.fromEnvironment(["XDG_CACHE_HOME": "", "HOME": "/h"]).root, "/h/.cache/thumbnails")
        XCTAssertTrue(ThumbnailStore.fromEnvironment([:]).root.hasSuffix("/.cache/thumbnails"))
    }

    /// A JPEG with an APP1 Exif segment (little-endian TIFF) carrying `orientation`, right after SOI.
    static func insertingExifOrientation(_ orientation: UInt16, into jpeg: [UInt8]) -> [UInt8] {
        func u16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
        func u32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8((v >> ($0 * 8)) & 0xFF) } }
        var tiff: [UInt8] = [0x49, 0x49] + u16(42) + u32(8) + u16(1)
        tiff += u16(0x0112) + u16(3) + u32(1) + u16(orientation) + u16(0) + u32(0)
        let payload = Array("Exif".utf8) + [0, 0] + tiff
        let length = payload.count + 2
        return Array(jpeg[0..<2]) + [0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + payload + Array(jpeg[2...])
    }
}
