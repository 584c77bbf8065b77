import Foundation
import TestSupport
import XCTest
@testable import Training

final class FeatureCacheTests: XCTestCase {
    func testSecondRunReadsTheCacheAndAChangedPhotoInvalidatesIt() throws {
        let dir = try TestEnvironment.temporaryDirectory(self)
        let images = dir + "/images"
        try FileManager.default.createDirectory(atPath: images, withIntermediateDirectories: true)
        for name in ["a.jpg", "b.jpg"] { FileManager.default.createFile(atPath: images + "/" + name, contents: Data([1, 2])) }
        let cache = FeatureCache(directory: dir + "/cache")
        var calls = 0
        func extract(_ photos: [String]) -> ImageFeatures {
            calls += 1
            return ImageFeatures(photos: photos, features: photos.indices.flatMap { [Float($0), 1, 2] },
                                 logits: photos.indices.flatMap { [Float($0) * 10, -1] }, featureWidth: 3, classCount: 2)
        }
        let first = try cache.imageFeatures(photos: ["a.jpg", "b.jpg"], imageDirectory: images, backboneID: "net#1",
                                            transform: "squash", extract: extract)
        let second = try cache.imageFeatures(photos: ["a.jpg", "b.jpg"], imageDirectory: images, backboneID: "net#1",
                                             transform: "squash", extract: extract)
        XCTAssertEqual(calls, 1)
        XCTAssertEqual(second.photos, first.photos)
        XCTAssertEqual(second.features, first.features)
        XCTAssertEqual(second.logits, first.logits)

        _ = try cache.imageFeatures(photos: ["a.jpg", "b.jpg"], imageDirectory: images, backboneID: "net#2",
                                    transform: "squash", extract: extract)
        XCTAssertEqual(calls, 2, "another backbone is another key")
        FileManager.default.createFile(atPath: images + "/b.jpg", contents: Data([1, 2, 3]))
        _ = try cache.imageFeatures(photos: ["a.jpg", "b.jpg"], imageDirectory: images, backboneID: "net#1",
                                    transform: "squash", extract: extract)
        XCTAssertEqual(calls, 3, "a changed photo is another key")
        try assertPrivate(dir + "/cache")
    }

    /// The cache directory and every file in it are the user's alone.
    private func assertPrivate(_ directory: String, file: StaticString = #filePath, line: UInt = #line) throws {
        func mode(_ path: String) throws -> Int {
            try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) & 0o777
        }
        XCTAssertEqual(try mode(directory), 0o700, file: file, line: line)
        let files = try FileManager.default.contentsOfDirectory(atPath: directory)
        XCTAssertFalse(files.isEmpty, file: file, line: line)
        for name in files { XCTAssertEqual(try mode(directory + "/" + name), 0o600, name, file: file, line: line) }
    }

    func testAnOpenCacheDirectoryIsMadePrivate() throws {
        let dir = try TestEnvironment.temporaryDirectory(self) + "/cache"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o755])
        _ = try FeatureCache(directory: dir).sentenceEmbeddings(texts: ["a dog"], encoderID: "e", dimension: 1) { _ in [1] }
        try assertPrivate(dir)
    }

    func testSentenceEmbeddingsAreCachedPerTextList() throws {
        let dir = try TestEnvironment.temporaryDirectory(self)
        let cache = FeatureCache(directory: dir)
        var calls = 0
        let encode: ([String]) -> [Float] = { texts in calls += 1; return texts.flatMap { [Float($0.count), 0] } }
        let a = try cache.sentenceEmbeddings(texts: ["a dog", "cat"], encoderID: "e", dimension: 2, encode: encode)
        let b = try cache.sentenceEmbeddings(texts: ["a dog", "cat"], encoderID: "e", dimension: 2, encode: encode)
        XCTAssertEqual(a, [5, 0, 3, 0])
        XCTAssertEqual(b, a)
        XCTAssertEqual(calls, 1)
        _ = try cache.sentenceEmbeddings(texts: ["a do", "gcat"], encoderID: "e", dimension: 2, encode: encode)
        XCTAssertEqual(calls, 2)
    }

    func testParallelExtractionKeepsOrderAndReportsFailures() throws {
        let (outputs, failures) = try extractInParallel(count: 50, threads: 3, label: "test") {
            return { i in
                if i == 7 { throw TrainingDataError.empty(what: "item 7") }
                return i * i
            }
        }
        XCTAssertEqual(outputs.map(\.index), (0..<50).filter { $0 != 7 })
        XCTAssertEqual(outputs.map(\.output), (0..<50).filter { $0 != 7 }.map { $0 * $0 })
        XCTAssertEqual(failures.map(\.index), [7])
    }
}
