import Foundation
import XCTest
@testable import Thumbnails
import TestSupport

final class FileURITests: XCTestCase {
    func testEscapesAsGLibDoes() {
        XCTAssertEqual(FileURI.canonical(path: "/home/u/pic.jpg"), "file:///home/u/pic.jpg")
        // Space, ';', '#', '%', '?' and non-ASCII are escaped; '(', ')', '!', '&', '=', ',', '@', '~' are not.
        XCTAssertEqual(FileURI.canonical(path: "/p/My Photos/été (1);#.jpg"),
                       "file:///p/My%20Photos/%C3%A9t%C3%A9%20(1)%3B%23.jpg")
        XCTAssertEqual(FileURI.canonical(path: "/p/a%b?c!&=,@~'+$:*.png"), "file:///p/a%25b%3Fc!&=,@~'+$:*.png")
        XCTAssertEqual(FileURI.canonical(path: "/p/[x]{y}|\\^`\"<>.jpg"),
                       "file:///p/%5Bx%5D%7By%7D%7C%5C%5E%60%22%3C%3E.jpg")
    }

    func testPathIsMadeAbsoluteAndClean() {
        XCTAssertEqual(FileURI.canonical(path: "/a//b/./c/../d.jpg"), "file:///a/b/d.jpg")
        let relative = FileURI.canonical(path: "x/y.jpg")
        XCTAssertEqual(relative, "file://" + FileURI.escape(Array((FileManager.default.currentDirectoryPath + "/x/y.jpg").utf8)))
    }

    /// The file name the standard gives, computed independently in Python.
    func testFileNameMatchesPython() throws {
        for path in ["/home/u/My Photos/été (1);#.jpg", "/tmp/dog.jpg", "/p/a%b?c!&=,@~'+$:*.png"] {
            let lines = String(decoding: try TestEnvironment.runReference("thumbnail_reference.py", ["name", path]),
                               as: UTF8.self).split(separator: "\n").map(String.init)
            XCTAssertEqual(FileURI.canonical(path: path), lines.first)
            XCTAssertEqual(ThumbnailStore.fileName(forPath: path), lines.last)
        }
    }
}
