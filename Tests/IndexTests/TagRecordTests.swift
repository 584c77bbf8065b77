import TestSupport
import XCTest
@testable import Index

/// Tags in photo records: stored with the photo in a few bytes, version-2
/// records (written before tags) still read as "never tagged", and the
/// index finds photos by tag.
final class TagRecordTests: XCTestCase {
    private func tagged(_ tags: [PhotoTag]?) -> PhotoRecord {
        var record = Fixtures.record(path: "/home/ana/Photos/dog.jpg", seed: 3, id: 9)
        record.format = "jpeg"
        record.tags = tags
        return record
    }

    func testTagsRoundTripAndCostAFewBytes() throws {
        let tags = [PhotoTag(name: "dog", score: 0.81), PhotoTag(name: "bicycle", score: 0.2), PhotoTag(name: "t-shirt", score: 1)]
        let record = tagged(tags)
        XCTAssertEqual(try PhotoRecord(decoding: record.encoded()), record)
        // name length + name + score byte per tag, beyond the one count byte an untagged record has.
        XCTAssertEqual(record.encoded().count - tagged(nil).encoded().count, tags.map { 2 + $0.name.utf8.count }.reduce(0, +))
        let light = try record.encoded().withUnsafeBytes { try PhotoRecord(decoding: $0, includeFloats: false) }
        XCTAssertEqual(light.tags, tags, "a metadata-only read sees the tags")
    }

    func testNeverTaggedDiffersFromNoTags() throws {
        XCTAssertNil(try PhotoRecord(decoding: tagged(nil).encoded()).tags)
        XCTAssertEqual(try PhotoRecord(decoding: tagged([]).encoded()).tags, [])
    }

    func testScoresAreQuantisedToBytes() {
        XCTAssertEqual(PhotoTag(name: "dog", score: 0.5).quantisedScore, 128)
        XCTAssertEqual(PhotoTag(name: "dog", score: 2).quantisedScore, 255)
        XCTAssertEqual(PhotoTag(name: "dog", score: -1).quantisedScore, 0)
        XCTAssertEqual(PhotoTag(name: "dog", quantisedScore: 51).score, 0.2, accuracy: 1e-6)
    }

    /// The version-2 layout, written out by hand: everything up to the format,
    /// then the floats, without the tag byte.
    func testVersion2RecordStillDecodesAsUntagged() throws {
        let record = tagged(nil)
        var writer = ByteWriter()
        writer.write(UInt8(2))
        for value in [record.id, record.device, record.inode, record.size] { writer.write(value) }
        writer.write(record.mtimeNanoseconds)
        writer.write(record.contentHash)
        writer.write(string: record.path)
        writer.write(string: record.modelID)
        writer.write(UInt8(0)); writer.write(Int64(0)); writer.write(UInt32(0))
        writer.write(string: record.format)
        writer.write(UInt32(record.vector.count)); writer.write(UInt32(record.feature.count))
        writer.write(floats: record.vector); writer.write(floats: record.feature)
        writer.writeChecksum()
        let decoded = try PhotoRecord(decoding: writer.bytes)
        XCTAssertEqual(decoded, record)
        XCTAssertNil(decoded.tags)
        XCTAssertEqual(decoded.encoded()[0], PhotoRecord.encodingVersion, "rewritten in the current version")
    }

    func testGarbledTagsAreCorrupt() {
        var bytes = tagged([PhotoTag(name: "dog", score: 0.5)]).encoded()
        // The tag count sits right after the format string: 17 bytes of capture fields + "jpeg".
        let countOffset = bytes.count - 8 - 4 * (Fixtures.dimension + Fixtures.featureDimension) - 8 - (1 + 1 + 3 + 1)
        XCTAssertEqual(bytes[countOffset], 1)
        bytes[countOffset] = 200  // more tags than a record may hold
        XCTAssertThrowsIndexError(try PhotoRecord(decoding: bytes), .corruptRecord)
    }

    func testIndexFindsPhotosCarryingEveryTag() throws {
        let dir = try TestEnvironment.temporaryDirectory(self)
        let index = try Fixtures.openIndex(dir)
        var dog = Fixtures.record(path: "/p/dog.jpg", seed: 1)
        dog.tags = [PhotoTag(name: "dog", score: 0.9), PhotoTag(name: "beach", score: 0.4)]
        var cat = Fixtures.record(path: "/p/cat.jpg", seed: 2)
        cat.tags = [PhotoTag(name: "cat", score: 0.9), PhotoTag(name: "beach", score: 0.3)]
        let old = Fixtures.record(path: "/p/old.jpg", seed: 3)  // never tagged
        try index.upsert([dog, cat, old])
        let id = { (path: String) in try XCTUnwrap(index.lookup(path: path)).id }
        XCTAssertEqual(try index.ids(taggedWithAll: ["beach"]), [try id("/p/dog.jpg"), try id("/p/cat.jpg")])
        XCTAssertEqual(try index.ids(taggedWithAll: ["dog", "beach"]), [try id("/p/dog.jpg")])
        XCTAssertEqual(try index.ids(taggedWithAll: ["dog", "cat"]), [])
        XCTAssertNil(try index.lookup(path: "/p/old.jpg")?.tags)
        XCTAssertEqual(try index.lookup(path: "/p/dog.jpg")?.tags, dog.tags)
    }
}
