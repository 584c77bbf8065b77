import Imaging
import ModelFormat
import TestSupport
import XCTest
@testable import Model

/// Explanations that follow the words, on the real models: the shipped
/// joint space, MiniLM and EfficientNet-Lite0.
final class SaliencyWordsTests: XCTestCase {
    private func explainer() throws -> Explainer {
        for name in ["efficientnet-lite0.safetensors", "joint.safetensors", "imagenet-class-text.safetensors",
                     "minilm-l6.safetensors"] { _ = try TestEnvironment.model(name) }
        return try ExplainerSetup(target: .joint, modelDirectory: TestEnvironment.modelDirectory).makeExplainer().explainer
    }

    /// The explainer's own pass over a photo: the photo and its tiles as the explainer cuts them.
    private func forward(_ explainer: Explainer, _ photo: RGBImage, keepActivations: Bool = true) throws -> Explainer.Forward {
        let tiles = networkInputTiles(photo, side: explainer.tileSide, overlapping: explainer.overlapsTiles,
                                      mirrored: explainer.flipAverage)
        return try explainer.forward(input: networkInput(photo, size: EfficientNetLite.gridInputSize, transform: .squash),
                                     tiles: tiles.tiles, mirroredTiles: tiles.mirrored, keepActivations: keepActivations)
    }

    /// A map's peak in photo pixels.
    private func peak(_ map: SaliencyMap, width: Int, height: Int) -> (x: Int, y: Int) {
        let report = ExplanationReport(image: "", query: "", target: "",
                                       explanation: Explanation(map: map, words: [], wordScores: [], imageShare: nil,
                                                                score: 0, method: .eb),
                                       photoWidth: width, photoHeight: height, out: "", gridSide: 14)
        return report.peak
    }

    /// samples/dog.jpg (768×576): the dog on the left, the red bicycle behind
    /// it, a white truck in the street at the top right.
    func testDogPhotoMapsPeakOnTheObjectNamed() throws {
        let explainer = try explainer()
        let photo = try ImageDecoder().decode(path: TestEnvironment.data("samples/dog.jpg")).image
        XCTAssertEqual([photo.width, photo.height], [768, 576])
        let pass = try forward(explainer, photo)
        let dogBox = (x: 130...310, y: 220...545)
        let boxes: [(String, ClosedRange<Int>, ClosedRange<Int>)] = [
            ("dog", dogBox.x, dogBox.y), ("bicycle", 125...570, 135...420), ("truck", 465...700, 70...175),
        ]
        var peaks: [String: (x: Int, y: Int)] = [:]
        for (word, xs, ys) in boxes {
            let explanation = try explainer.explain(pass, query: word, method: .defaultMethod)
            let p = peak(explanation.map, width: photo.width, height: photo.height)
            peaks[word] = p
            XCTAssertTrue(xs.contains(p.x) && ys.contains(p.y), "\"\(word)\" peaks at \(p), off its box \(xs) × \(ys)")
            if word == "bicycle" {
                XCTAssertFalse(dogBox.x.contains(p.x) && dogBox.y.contains(p.y), "\"bicycle\" peaks on the dog at \(p)")
            }
        }
        XCTAssertNotEqual(peaks["dog"]?.x, peaks["truck"]?.x, "the map moves with the words")

        // The quick pass (one batch, no recorded layers) explains the cells identically.
        let quick = try forward(explainer, photo, keepActivations: false)
        XCTAssertTrue(quick.activations.isEmpty)
        let a = try explainer.explain(quick, query: "truck", method: .cells).map.values
        let b = try explainer.explain(pass, query: "truck", method: .cells).map.values
        for i in a.indices { XCTAssertEqual(a[i], b[i], accuracy: 1e-4) }
        XCTAssertThrowsError(try explainer.explain(quick, query: "truck", method: .eb)) {
            XCTAssertEqual(($0 as? SaliencyError)?.code, .missingActivation)
        }

        // In one query each content word gets its own map, in query order.
        let combined = try explainer.explain(pass, query: "a dog next to a red bicycle", method: .defaultMethod)
        XCTAssertEqual(combined.perWord.map(\.word), ["dog", "next", "red", "bicycle"])
        XCTAssertEqual(combined.wordScores.reduce(0, +), 1, accuracy: 1e-4)
        for (word, xs, ys) in boxes where word != "truck" {
            let p = peak(try XCTUnwrap(combined.word(word)).map, width: photo.width, height: photo.height)
            XCTAssertTrue(xs.contains(p.x) && ys.contains(p.y), "the word \"\(word)\" peaks at \(p)")
        }
    }

    /// The word-score rule: a word's score is the combined map's mass under
    /// the word's map, so the top word's map overlaps the combined map most.
    func testTopWordIsTheOneWhoseMapCoversTheCombinedMap() throws {
        let explainer = try explainer()
        let photo = try ImageDecoder().decode(path: TestEnvironment.data("samples/dog.jpg")).image
        let pass = try forward(explainer, photo)
        let explanation = try explainer.explain(pass, query: "a white truck and a dog", method: .defaultMethod)
        let side = try XCTUnwrap(explanation.perWord.first).map.width
        let combined = try WordMaps.onCells(explanation.map.resampled(width: side, height: side), width: side, height: side)
        let overlaps = explanation.perWord.map { zip($0.map.values, combined).reduce(Float(0)) { $0 + $1.0 * $1.1 } }
        let top = try XCTUnwrap(explanation.wordScores.indices.max { explanation.wordScores[$0] < explanation.wordScores[$1] })
        XCTAssertEqual(top, overlaps.indices.max { overlaps[$0] < overlaps[$1] })
        for (i, overlap) in overlaps.enumerated() {
            XCTAssertEqual(explanation.wordScores[i], overlap / overlaps.reduce(0, +), accuracy: 1e-4)
        }
    }

    /// Two photos pasted side by side: each word's map peaks on its own photo.
    func testTwoWordsPeakOnTheirOwnPastedPhotos() throws {
        let explainer = try explainer()
        let left = try ImageDecoder().decode(path: TestEnvironment.data("samples/dog.jpg")).image
        let right = try ImageDecoder().decode(path: TestEnvironment.data("samples/giraffe.jpg")).image
        let (w, h) = (320, 240)
        let a = resize(left, width: w, height: h), b = resize(right, width: w, height: h)
        var canvas = RGBImage(width: 2 * w, height: h)
        for y in 0..<h { for x in 0..<w { canvas[x, y] = a[x, y]; canvas[w + x, y] = b[x, y] } }
        let pass = try forward(explainer, canvas)
        let explanation = try explainer.explain(pass, query: "a dog and a giraffe", method: .defaultMethod)
        XCTAssertEqual(explanation.perWord.map(\.word), ["dog", "giraffe"])
        let dog = peak(try XCTUnwrap(explanation.word("dog")).map, width: 2 * w, height: h)
        let giraffe = peak(try XCTUnwrap(explanation.word("giraffe")).map, width: 2 * w, height: h)
        XCTAssertLessThan(dog.x, w, "\"dog\" peaks at \(dog), not on the dog photo")
        XCTAssertGreaterThanOrEqual(giraffe.x, w, "\"giraffe\" peaks at \(giraffe), not on the giraffe photo")
        for (query, onLeft) in [("dog", true), ("giraffe", false)] {
            let p = peak(try explainer.explain(pass, query: query, method: .defaultMethod).map, width: 2 * w, height: h)
            XCTAssertEqual(p.x < w, onLeft, "the map for \"\(query)\" peaks at \(p)")
        }
    }

    /// Flip averaging: each tile cell is the mean of its own and its mirror
    /// image's cell, flipped back (side-by-side tiles, so a tile's cells are
    /// one 7×7 block of the grid).
    func testFlipAveragingMeansEachCellWithItsMirror() throws {
        var explainer = try explainer()
        explainer.tileSide = 2  // an even side is cut side by side
        let photo = try ImageDecoder().decode(path: TestEnvironment.data("samples/dog.jpg")).image
        let input = networkInput(photo, size: EfficientNetLite.gridInputSize, transform: .squash)
        let tiles = networkInputTiles(photo, side: 2)
        let mirrored = mirroredNetworkInput(tiles, size: EfficientNetLite.gridInputSize)
        let own = try XCTUnwrap(explainer.forward(input: input, tiles: tiles, keepActivations: false).detail)
        let mirror = try XCTUnwrap(explainer.forward(input: input, tiles: mirrored, keepActivations: false).detail)
        let averaged = try XCTUnwrap(explainer.forward(input: input, tiles: tiles, mirroredTiles: mirrored,
                                                       keepActivations: false).detail)
        XCTAssertEqual([averaged.width, averaged.height], [14, 14])
        let r = 14 * 14
        for ch in [0, 17, 640, 1279] {
            for p in 0..<r {
                let (x, y) = (p % 14, p / 14)
                let back = (x / 7) * 7 + (6 - x % 7)
                let expected = (own.head[ch * r + p] + mirror.head[ch * r + y * 14 + back]) / 2
                XCTAssertEqual(averaged.head[ch * r + p], expected, accuracy: 1e-4, "channel \(ch), cell (\(x), \(y))")
            }
        }
        XCTAssertThrowsError(try explainer.forward(input: input, tiles: tiles, mirroredTiles: Array(mirrored.prefix(10)),
                                                   keepActivations: false))
    }

    func testContentWordsDropStopWordsAndKeepOrder() {
        XCTAssertEqual(WordMaps.contentWords("A dog next to a red bicycle"), ["dog", "next", "red", "bicycle"])
        XCTAssertEqual(WordMaps.contentWords("dog and dog"), ["dog"])
        XCTAssertEqual(WordMaps.contentWords("the"), ["the"], "a query of stop words keeps them")
    }
}
