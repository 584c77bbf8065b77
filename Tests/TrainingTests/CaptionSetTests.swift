import Foundation
import TestSupport
import XCTest
@testable import Training

final class CaptionSetTests: XCTestCase {
    func testFlickrTokenFormatGroupsCaptionsByPhotoInFileOrder() throws {
        let dir = try TestEnvironment.temporaryDirectory(self)
        let path = dir + "/captions.token.txt"
        try "b.jpg#0\tA dog .\na.jpg#0\tA cat .\nb.jpg#1\tA brown dog .\n\n".write(toFile: path, atomically: true, encoding: .utf8)
        let set = try CaptionSet.load(path: path)
        XCTAssertEqual(set.photos, ["b.jpg", "a.jpg"])
        XCTAssertEqual(set.captions, [["A dog .", "A brown dog ."], ["A cat ."]])
        XCTAssertEqual(set.flattened.photoOfCaption, [0, 0, 1])

        try "a.jpg\nmissing.jpg\n".write(toFile: dir + "/split.txt", atomically: true, encoding: .utf8)
        let split = try set.restricted(toSplitList: dir + "/split.txt")
        XCTAssertEqual(split.photos, ["a.jpg"])
    }

    func testCOCOFormatKeepsImagesWithCaptions() throws {
        let dir = try TestEnvironment.temporaryDirectory(self)
        let path = dir + "/captions.json"
        let json = """
            {"images": [{"id": 7, "file_name": "7.jpg"}, {"id": 9, "file_name": "9.jpg"}, {"id": 3, "file_name": "3.jpg"}],
             "annotations": [{"image_id": 9, "id": 1, "caption": "A kite. "}, {"image_id": 7, "id": 2, "caption": "A bus."},
                             {"image_id": 9, "id": 3, "caption": "Kites in the sky."}]}
            """
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        let set = try CaptionSet.load(path: path)
        XCTAssertEqual(set.photos, ["7.jpg", "9.jpg"])
        XCTAssertEqual(set.captions, [["A bus."], ["A kite.", "Kites in the sky."]])

        FileManager.default.createFile(atPath: dir + "/9.jpg", contents: Data([1]))
        let (existing, missing) = set.restricted(toExistingIn: dir)
        XCTAssertEqual(existing.photos, ["9.jpg"])
        XCTAssertEqual(missing, 1)
    }

    func testMalformedFilesAreTypedErrors() throws {
        let dir = try TestEnvironment.temporaryDirectory(self)
        try "no tab here\n".write(toFile: dir + "/bad.txt", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try CaptionSet.load(path: dir + "/bad.txt")) { error in
            guard case .malformed(_, line: 1, _)? = error as? TrainingDataError else { return XCTFail("\(error)") }
        }
        try "{\"images\": 3}".write(toFile: dir + "/bad.json", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try CaptionSet.load(path: dir + "/bad.json"))
        XCTAssertThrowsError(try CaptionSet.load(path: dir + "/absent.txt")) { error in
            guard case .cannotRead? = error as? TrainingDataError else { return XCTFail("\(error)") }
        }
    }

    func testRealFlickrCaptionsHaveFiveCaptionsPerPhoto() throws {
        let path = try TestEnvironment.data("flickr8k/captions.token.txt")
        let set = try CaptionSet.load(path: path)
        XCTAssertEqual(set.captionCount, 35_460)
        // The README's 7,091 photos have five captions each (the file also has two stray entries).
        XCTAssertEqual(set.captions.filter { $0.count == 5 }.count, 7091)
        let dev = try set.restricted(toSplitList: try TestEnvironment.data("flickr8k/Flickr_8k.devImages.txt"))
        XCTAssertEqual(dev.photos.count, 1000)
    }
}
