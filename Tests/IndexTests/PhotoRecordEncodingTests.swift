import XCTest
@testable import Index

final class PhotoRecordEncodingTests: XCTestCase {
    private func sample() -> PhotoRecord {
        var record = Fixtures.record(path: "/home/ana/Photos/été/IMG_0001.jpg", seed: 7, id: 12345)
        record.mtimeNanoseconds = -5 // before the epoch must survive too
        record.contentHash = .max
        record.device = UInt64(Int64.max) + 3
        return record
    }

    func testRoundTripKeepsEveryField() throws {
        let record = sample()
        XCTAssertEqual(try PhotoRecord(decoding: record.encoded()), record)
        let bare = PhotoRecord(path: "/a.jpg", modelID: "m", vector: [])
        XCTAssertEqual(try PhotoRecord(decoding: bare.encoded()), bare)
    }

    func testLayoutIsLittleEndianWithVersionByte() {
        let bytes = sample().encoded()
        XCTAssertEqual(bytes[0], PhotoRecord.encodingVersion)
        // id 12345 = 0x3039, little-endian right after the version byte.
        XCTAssertEqual(Array(bytes[1...3]), [0x39, 0x30, 0x00])
        let floats = 4 * (Fixtures.dimension + Fixtures.featureDimension)
        let strings = 4 + "/home/ana/Photos/été/IMG_0001.jpg".utf8.count + 4 + Fixtures.model.utf8.count
        let capture = 1 + 8 + 4 + 4 + 1 // taken flags, wall clock, offset, empty format, "never tagged"
        XCTAssertEqual(bytes.count, 1 + 6 * 8 + strings + capture + 8 + floats + 8)
    }

    func testMetadataOnlyDecodeLeavesFloatsEmpty() throws {
        let record = sample()
        let light = try record.encoded().withUnsafeBytes { try PhotoRecord(decoding: $0, includeFloats: false) }
        XCTAssertEqual(light.path, record.path)
        XCTAssertEqual(light.mtimeNanoseconds, record.mtimeNanoseconds)
        XCTAssertTrue(light.vector.isEmpty && light.feature.isEmpty)
    }

    func testEveryTruncationIsRejected() {
        let bytes = sample().encoded()
        for length in 0..<bytes.count {
            XCTAssertThrowsIndexError(try PhotoRecord(decoding: Array(bytes[0..<length])), .corruptRecord)
        }
        XCTAssertThrowsIndexError(try PhotoRecord(decoding: bytes + [0]), .corruptRecord)
    }

    func testEverySingleBitFlipIsRejected() {
        let bytes = sample().encoded()
        var rng = SeededGenerator(seed: 3)
        for position in 0..<bytes.count {
            var garbled = bytes
            garbled[position] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &rng)
            XCTAssertThrowsIndexError(try PhotoRecord(decoding: garbled), .corruptRecord)
        }
    }

    func testUnknownVersionAndHugeCountsAreRejected() {
        var bytes = sample().encoded()
        bytes[0] = 99
        XCTAssertThrowsIndexError(try PhotoRecord(decoding: bytes), .corruptRecord)
        // A path length of 4 GiB must fail cleanly rather than allocate.
        var huge = sample().encoded()
        for i in 49..<53 { huge[i] = 0xFF }
        XCTAssertThrowsIndexError(try PhotoRecord(decoding: huge), .corruptRecord)
    }

    func testFailureRecordRoundTripAndRejection() throws {
        let failure = FailureRecord(path: "/p/x.jpg", reason: "JPEG datastream contains no image",
                                    size: 17, mtimeNanoseconds: 99, recordedAt: 1_700_000_000)
        let bytes = failure.encoded()
        XCTAssertEqual(try FailureRecord(decoding: bytes), failure)
        for length in 0..<bytes.count {
            XCTAssertThrowsIndexError(try FailureRecord(decoding: Array(bytes[0..<length])), .corruptRecord)
        }
        var garbled = bytes
        garbled[bytes.count / 2] ^= 0x10
        XCTAssertThrowsIndexError(try FailureRecord(decoding: garbled), .corruptRecord)
        XCTAssertTrue(failure.matches(size: 17, mtimeNanoseconds: 99))
        XCTAssertFalse(failure.matches(size: 17, mtimeNanoseconds: 100))
    }
}
