import Foundation
import XCTest

/// Polls `condition` until it holds or `timeout` passes; fails with `message` then.
func eventually(_ message: @autoclosure () -> String, timeout: Double = 15, file: StaticString = #filePath, line: UInt = #line,
                _ condition: () throws -> Bool) rethrows {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try condition() { return }
        usleep(20_000)
    }
    if try condition() { return }
    XCTFail("timed out after \(timeout) s: \(message())", file: file, line: line)
}
