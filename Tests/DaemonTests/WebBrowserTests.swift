import Foundation
import XCTest
import TestSupport

/// The web app in a real browser: tools/web/browser_test.py drives headless
/// Chromium (Debian's chromium, chromium-driver, python3-selenium) against
/// photoq --web in front of a real photoqd on the sample photos.
final class WebBrowserTests: XCTestCase {
    func testSearchPhotoViewHeatMapAndMoreLikeThisInChromium() throws {
        let python = try Self.browserPython()
        let (_, web) = try WebFixture.start(self, prefix: "pqw-browser")
        let script = TestEnvironment.repoRoot + "/tools/web/browser_test.py"
        var arguments = [script, web.address]
        // PHOTOQ_WEB_SCREENSHOTS=docs makes the README's screenshots on the way.
        if let folder = TestEnvironment.environment["PHOTOQ_WEB_SCREENSHOTS"], !folder.isEmpty {
            arguments += ["--screenshots", folder]
        }
        let r = try TestEnvironment.run(python, arguments, environment: ["HOME": NSTemporaryDirectory()])
        let output = String(decoding: r.stdout, as: UTF8.self) + String(decoding: r.stderr, as: UTF8.self)
        XCTAssertEqual(r.status, 0, output + "\nphotoq-web log:\n" + web.log)
        for check in ["browser without the token is refused", "is refused", "became an HttpOnly SameSite=Strict cookie",
                      "dog.jpg first", "heat map", "more like this shows", "no console errors"] {
            XCTAssertTrue(output.contains(check), "missing check \(check.debugDescription):\n\(output)")
        }
        XCTAssertEqual(web.terminate(), 0)
    }

    /// Debian's Python with selenium, when Chromium and its driver are installed.
    /// Skips otherwise, unless PHOTOQ_REQUIRE_BROWSER is set (scripts/test sets it): then it fails.
    static func browserPython(file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let fm = FileManager.default
        let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first(where: fm.isExecutableFile(atPath:))
        let driver = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"].first(where: fm.isExecutableFile(atPath:))
        let python = "/usr/bin/python3"
        var missing: [String] = []
        if chromium == nil { missing.append("chromium") }
        if driver == nil { missing.append("chromium-driver") }
        if !fm.isExecutableFile(atPath: python)
            || (try? TestEnvironment.run(python, ["-c", "import selenium"]).status) != 0 { missing.append("python3-selenium") }
        if missing.isEmpty { return python }
        let message = "no browser to test in: install \(missing.joined(separator: ", ")) (scripts/install-deps)"
        if let required = TestEnvironment.environment["PHOTOQ_REQUIRE_BROWSER"], !required.isEmpty {
            XCTFail(message, file: file, line: line)
        }
        throw XCTSkip(message)
    }
}
