import Foundation
import XCTest
@testable import Index

/// Deterministic random numbers (SplitMix64) so failures reproduce.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

enum Fixtures {
    static let model = "test-model-v1"
    static let dimension = 8
    static let featureDimension = 16

    static func randomVector(_ count: Int, _ rng: inout SeededGenerator) -> [Float] {
        (0..<count).map { _ in Float.random(in: -1...1, using: &rng) }
    }

    /// A record whose vector and feature are derived from `seed`, so tests can
    /// recompute what must have been stored.
    static func record(path: String, seed: UInt64, id: UInt64 = 0, dimension: Int = dimension,
                       featureDimension: Int = featureDimension, model: String = model) -> PhotoRecord {
        var rng = SeededGenerator(seed: seed)
        return PhotoRecord(id: id, path: path, device: 42, inode: seed, size: 1000 + seed,
                           mtimeNanoseconds: 1_700_000_000_000_000_000 + Int64(seed), contentHash: seed &* 31,
                           modelID: model, vector: randomVector(dimension, &rng),
                           feature: randomVector(featureDimension, &rng))
    }

    static func openIndex(_ directory: String, model: String = model, dimension: Int = dimension,
                          featureDimension: Int = featureDimension, mapSize: Int = 1 << 20,
                          migrationProgress: ((Int, Int) -> Void)? = nil) throws -> PhotoIndex {
        try PhotoIndex(stateDirectory: directory, modelID: model, dimension: dimension,
                       featureDimension: featureDimension, mapSize: mapSize, migrationProgress: migrationProgress)
    }
}

/// Runs this test bundle again as a child process executing one
/// `ChildProcessEntry` scenario, so tests can kill a real process holding
/// LMDB or the state directory lock.
enum ChildProcess {
    static let modeVariable = "PHOTOQ_INDEX_CHILD_MODE"
    static let directoryVariable = "PHOTOQ_INDEX_CHILD_DIR"

    static var executable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    static func start(mode: String, directory: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["IndexTests.ChildProcessEntry/testChildProcessScenario"]
        var environment = ProcessInfo.processInfo.environment
        environment[modeVariable] = mode
        environment[directoryVariable] = directory
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Polls until `condition` holds or `timeout` passes.
    static func wait(timeout: TimeInterval, until condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            usleep(2_000)
        }
        return condition()
    }
}

func XCTAssertThrowsIndexError<T>(_ expression: @autoclosure () throws -> T, _ code: IndexError.Code,
                                  file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertThrowsError(try expression(), file: file, line: line) { error in
        guard let indexError = error as? IndexError else {
            return XCTFail("expected IndexError.\(code), got \(error)", file: file, line: line)
        }
        XCTAssertEqual(indexError.code, code, "\(indexError)", file: file, line: line)
    }
}
