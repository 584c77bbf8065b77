import Foundation
import XCTest
@testable import Daemon

/// When inotify watches run out (ENOSPC), the daemon keeps the watches it
/// has and finds everything else by periodic rescans.
final class WatchLimitTests: XCTestCase {
    func testFallsBackToPeriodicRescans() throws {
        let d = try InProcessDaemon(self)
        for folder in ["a", "b", "c", "d"] { try FakePhoto.write(d.library + "/\(folder)/1.jpg", seed: folder.count) }
        d.configuration.simulatedWatchLimit = 2
        d.configuration.pollInterval = 0.5
        try d.start()
        try eventually("initial scan in polling mode") {
            let s = try d.status()
            return s.watcher == "polling" && s.indexed == 4 && s.pending == 0
        }
        XCTAssertEqual(try d.status().watches, 2)
        // Photos in folders without a watch appear with the next rescan.
        for folder in ["a", "b", "c", "d"] { try FakePhoto.write(d.library + "/\(folder)/2.jpg", seed: 10 + folder.count) }
        try FakePhoto.write(d.library + "/new/3.jpg", seed: 20)
        try eventually("rescans found the new photos") { try d.status().indexed == 9 }
        try FileManager.default.removeItem(atPath: d.library + "/d")
        try eventually("rescans dropped the deleted folder") { try d.status().indexed == 7 }
    }
}
