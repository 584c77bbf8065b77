import Foundation
import XCTest
import PhotoqProtocol
import Model
import TestSupport
@testable import Daemon

/// Tags end to end with the real binaries: photoqd tags photos at indexing
/// time when tagger.safetensors is installed, `photoq --tags` prints them
/// best first, `--tag` filters a search, and photos indexed before the tagger
/// was installed say they have no tags yet.
final class TagEndToEndTests: XCTestCase {
    /// The repository's tagger: the shipped one (grid-attended) when there is
    /// one, else the optional one.
    static var repositoryTagger: String {
        let shipped = TestEnvironment.repoRoot + "/Models/default/tagger.safetensors"
        return FileManager.default.fileExists(atPath: shipped) ? shipped : TestEnvironment.repoRoot + "/Models/optional/tagger.safetensors"
    }

    /// The installed models plus the repository's tagger, in a folder of links.
    private func modelsWithTagger(_ dir: String, tagger: String = TagEndToEndTests.repositoryTagger) throws -> String {
        guard FileManager.default.fileExists(atPath: tagger) else {
            if TestEnvironment.requireAssets { XCTFail("no \(tagger)") }
            throw XCTSkip("no \(tagger) (scripts/make-tagger)")
        }
        let models = dir + "/models"
        try FileManager.default.createDirectory(atPath: models, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: TestEnvironment.modelDirectory) where name != "tagger.safetensors" {
            try FileManager.default.createSymbolicLink(atPath: models + "/" + name,
                                                       withDestinationPath: TestEnvironment.modelDirectory + "/" + name)
        }
        try FileManager.default.createSymbolicLink(atPath: models + "/tagger.safetensors", withDestinationPath: tagger)
        return models
    }

    private func photoq(_ daemon: DaemonProcess, _ arguments: [String], models: String) throws -> (status: Int32, stdout: String, stderr: String) {
        let r = try TestEnvironment.run(try DaemonProcess.binary("photoq"), ["--socket", daemon.socket] + arguments,
                                        environment: ["PHOTOQ_MODEL_DIR": models])
        return (r.status, String(decoding: r.stdout, as: UTF8.self), String(decoding: r.stderr, as: UTF8.self))
    }

    private struct TagsDocument: Decodable {
        struct Tag: Decodable { let tag: String; let score: Float }
        let version: Int
        let tags: [Tag]
        let tagged: Bool
        let note: String?
    }

    private func tags(_ r: (status: Int32, stdout: String, stderr: String)) throws -> TagsDocument {
        XCTAssertEqual(r.status, 0, r.stderr)
        return try JSONDecoder().decode(TagsDocument.self, from: Data(r.stdout.utf8))
    }

    func testTaggedAtIndexingShownAndFiltered() throws {
        let dir = try TestEnvironment.temporaryDirectory(self, prefix: "pqt")
        let models = try modelsWithTagger(dir)
        let daemon = try DaemonProcess(self, directory: dir)
        daemon.modelDirectory = models
        try daemon.start()
        let photos = try SamplePhotos.copy(try SamplePhotos.samples(), into: daemon.root + "/samples")
        try daemon.settle("samples indexed") { $0.indexed == photos.count }
        let dogPath = daemon.root + "/samples/dog.jpg"

        // By path: the stored tags, best first, in the documented document.
        let dog = try tags(try photoq(daemon, ["--tags", dogPath, "--json"], models: models))
        XCTAssertEqual(dog.version, 1)
        XCTAssertTrue(dog.tagged)
        XCTAssertEqual(dog.tags.first?.tag, "dog", "\(dog.tags.map(\.tag))")
        XCTAssertTrue(dog.tags.allSatisfy { (0...1).contains($0.score) })
        if let bicycle = dog.tags.firstIndex(where: { $0.tag == "bicycle" || $0.tag == "bike" }) {
            XCTAssertGreaterThan(bicycle, 0)
        }
        // By id, and as lines.
        let record = try DaemonConnection(path: daemon.socket, timeout: 10)
            .call(.get(GetRequest(photo: PhotoReference(path: dogPath))), expecting: PhotoRecordResult.self)
        XCTAssertEqual(record.tags?.map(\.tag), dog.tags.map(\.tag), "get carries the tags")
        let lines = try photoq(daemon, ["--tags", String(record.id)], models: models)
        XCTAssertEqual(lines.status, 0, lines.stderr)
        XCTAssertEqual(lines.stdout.split(separator: "\n").first?.split(separator: "\t").first, "dog")

        // A photo outside the index is tagged by the client itself, the same way.
        let outside = try tags(try photoq(daemon, ["--tags", try TestEnvironment.data("samples/dog.jpg"), "--json"], models: models))
        XCTAssertEqual(outside.tags.map(\.tag), dog.tags.map(\.tag))

        // --tag keeps exactly the photos whose stored tags include it; search results carry tags too.
        let connection = try DaemonConnection(path: daemon.socket, timeout: 10)
        var carrying: [String] = []
        for path in photos {
            let stored = try connection.call(.get(GetRequest(photo: PhotoReference(path: path))), expecting: PhotoRecordResult.self)
            XCTAssertNotNil(stored.tags, "\(path) was indexed with the tagger")
            if stored.tags?.contains(where: { $0.tag == "dog" }) == true { carrying.append(path) }
        }
        XCTAssertTrue(carrying.contains(dogPath))
        let filtered = try photoq(daemon, ["--tag", "dog", "-n", "10", "--json", "an animal"], models: models)
        XCTAssertEqual(filtered.status, 0, filtered.stderr)
        let document = try JSONSerialization.jsonObject(with: Data(filtered.stdout.utf8)) as? [String: Any]
        let results = document?["results"] as? [[String: Any]]
        let paths = (results ?? []).compactMap { $0["path"] as? String }
        // The relevance cutoff may drop a tagged photo that scores low for the text; it says how many.
        XCTAssertTrue(Set(paths).isSubset(of: carrying), "\(paths)")
        XCTAssertEqual(paths.count + (document?["below_min_score"] as? Int ?? 0), carrying.count, "\(paths)")
        XCTAssertTrue((results ?? []).allSatisfy { ($0["tags"] as? [[String: Any]])?.contains { $0["tag"] as? String == "dog" } == true })
        let hits = try connection.call(
            .search(SearchRequest(text: "an animal", k: 10, filters: SearchFilters(tags: ["DOG "]), minScore: -1)),
            expecting: SearchResult.self).hits
        XCTAssertEqual(hits.map(\.path).sorted(), carrying.sorted(), "names are matched trimmed and lower-cased")
        // Two tags: only photos with both.
        let second = try XCTUnwrap(dog.tags.dropFirst().first?.tag)
        let both = try connection.call(.search(SearchRequest(text: "an animal", k: 10, filters: SearchFilters(tags: ["dog", second]))),
                                       expecting: SearchResult.self).hits
        XCTAssertTrue(both.map(\.path).contains(dogPath))
        for hit in both { XCTAssertTrue(Set(hit.tags?.map(\.tag) ?? []).isSuperset(of: ["dog", second]), "\(hit.path)") }
        XCTAssertEqual(try photoq(daemon, ["--tag", "dog", "--tag", "no-such-tag", "a dog"], models: models).status, 1, "no match")
        // Bad filters are refused with a clear error; the daemon keeps serving.
        let long = try photoq(daemon, ["--tag", String(repeating: "x", count: 100), "a dog"], models: models)
        XCTAssertEqual(long.status, 65, long.stderr)
        XCTAssertTrue(long.stderr.contains("longer than"), long.stderr)
        XCTAssertEqual(try photoq(daemon, ["--tag", "dog", "a dog"], models: models).status, 0)
    }

    /// A grid-attended tagger (hand-set output biases over three tags, random
    /// attention): photoqd must run the backbone with its head map and feed
    /// the tagger the 49×1280 grid (the pooled feature would be refused as
    /// the wrong size and the photo would fail), the client likewise for a
    /// photo outside the index; the stored list follows the cutoff.
    func testAttendedTaggerReadsTheHeadMap() throws {
        let dir = try TestEnvironment.temporaryDirectory(self, prefix: "pqt")
        let shape = TagShape(featureSize: 1280, inputSize: 8, hiddenSize: 4, tagCount: 3, cells: 49)
        var p = TagParameters(shape: shape, imageToOutput: true, directSource: .projection, attention: true, seed: 5)
        for i in p.projection.indices { p.projection[i] *= 0.01 }
        // dog ≫ cat ≫ tree, the end token last, whatever the photo (the LSTM's share is small).
        p.outputBias = [30, 20, 10, -30]
        let tagger = dir + "/attended.safetensors"
        try TaggerFile(parameters: p, tags: ["dog", "cat", "tree"], metadata: [TaggerFile.cutoffKey: "0.5"])
            .save(to: tagger, modelID: "attended-test")
        let models = try modelsWithTagger(dir, tagger: tagger)
        let daemon = try DaemonProcess(self, directory: dir)
        daemon.modelDirectory = models
        try daemon.start()
        let photos = try SamplePhotos.copy(Array(try SamplePhotos.samples().prefix(2)), into: daemon.root + "/samples")
        try daemon.settle("samples indexed") { $0.indexed == photos.count }
        for photo in photos {
            let listed = try tags(try photoq(daemon, ["--tags", photo, "--json"], models: models))
            XCTAssertTrue(listed.tagged, photo)
            // Gaps of 10 outweigh the LSTM's |O·h| ≤ 3.5: dog, cat, tree, each near 1, then the end.
            XCTAssertEqual(listed.tags.map(\.tag), ["dog", "cat", "tree"], photo)
            XCTAssertTrue(listed.tags.allSatisfy { $0.score > 0.5 && $0.score <= 1 }, "\(listed.tags)")
        }
        let outside = try tags(try photoq(daemon, ["--tags", try TestEnvironment.data("samples/dog.jpg"), "--json"], models: models))
        XCTAssertEqual(outside.tags.map(\.tag), ["dog", "cat", "tree"])
    }

    func testPhotosIndexedBeforeTheTaggerHaveNoTagsYet() throws {
        let dir = try TestEnvironment.temporaryDirectory(self, prefix: "pqt")
        let models = try modelsWithTagger(dir)
        let daemon = try DaemonProcess(self, directory: dir)
        let without = dir + "/models-without"
        try FileManager.default.createDirectory(atPath: without, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: models) where name != "tagger.safetensors" {
            try FileManager.default.createSymbolicLink(atPath: without + "/" + name, withDestinationPath: models + "/" + name)
        }
        daemon.modelDirectory = without
        let samples = try SamplePhotos.samples()
        let first = try SamplePhotos.copy(Array(samples.prefix(2)), into: daemon.root)
        try daemon.start()
        try daemon.settle("indexed without a tagger") { $0.indexed == 2 }
        let untagged = try tags(try photoq(daemon, ["--tags", first[0], "--json"], models: without))
        XCTAssertFalse(untagged.tagged)
        XCTAssertEqual(untagged.tags.count, 0)
        XCTAssertTrue(untagged.note?.contains("no tags yet") == true, untagged.note ?? "")
        XCTAssertEqual(try photoq(daemon, ["--tag", "dog", "a dog"], models: without).status, 1, "untagged photos never match a tag filter")

        // The tagger installed later: old records stay readable (no crash, no
        // re-embedding), new photos get tags.
        XCTAssertEqual(daemon.terminate(), 0, daemon.log)
        daemon.modelDirectory = models
        try daemon.start()
        let added = try SamplePhotos.copy([samples.first { $0.hasSuffix("/horses.jpg") }!], into: daemon.root + "/later")
        try daemon.settle("a photo added with the tagger") { $0.indexed == 3 }
        XCTAssertFalse(try tags(try photoq(daemon, ["--tags", first[0], "--json"], models: models)).tagged)
        let horses = try tags(try photoq(daemon, ["--tags", added[0], "--json"], models: models))
        XCTAssertTrue(horses.tagged)
        XCTAssertFalse(horses.tags.isEmpty)
    }

    func testTagFilterValidation() throws {
        XCTAssertNil(try RequestValidation.tags(nil))
        XCTAssertNil(try RequestValidation.tags([]))
        XCTAssertEqual(try RequestValidation.tags([" Dog", "dog", "beach"]), ["dog", "beach"])
        for bad in [[""], ["  "], [String(repeating: "a", count: 65)], ["a\u{0}b"], (0...16).map { "t\($0)" }] {
            XCTAssertThrowsError(try RequestValidation.tags(bad), "\(bad.prefix(2))") { error in
                XCTAssertEqual((error as? WireError)?.code, .invalidArgument)
            }
        }
    }
}
