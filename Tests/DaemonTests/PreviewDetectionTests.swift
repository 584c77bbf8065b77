import XCTest
@testable import Client

/// Which protocol `--preview` picks, from the environment and the
/// terminal's device-attributes reply.
final class PreviewDetectionTests: XCTestCase {
    private let sixelReply = Array("\u{1B}[?62;4;22c".utf8)
    private let plainReply = Array("\u{1B}[?62;1;22c".utf8)

    private func decide(_ env: [String: String], tty: Bool = true, forced: PreviewProtocol? = nil,
                        reply: [UInt8]? = nil, asked: inout Bool) -> PreviewDetection.Outcome {
        PreviewDetection.decide(forced: forced, standardOutputIsTerminal: tty, environment: env) {
            asked = true
            return reply
        }
    }

    func testDetectionTable() {
        let table: [([String: String], [UInt8]?, PreviewDetection.Outcome, Bool)] = [
            // environment, DA reply, outcome, whether the terminal is asked
            (["KITTY_WINDOW_ID": "3", "TERM": "xterm-256color"], nil, .show(.kitty), false),
            (["TERM": "xterm-kitty"], nil, .show(.kitty), false),
            (["TERM_PROGRAM": "iTerm.app", "TERM": "xterm-256color"], nil, .show(.iterm), false),
            (["TERM_PROGRAM": "WezTerm"], nil, .show(.iterm), false),
            (["KITTY_WINDOW_ID": "1", "TERM_PROGRAM": "WezTerm"], nil, .show(.kitty), false),
            (["KITTY_WINDOW_ID": "", "TERM": "xterm"], sixelReply, .show(.sixel), true),
            (["TERM": "foot", "TERM_PROGRAM": "tmux"], sixelReply, .show(.sixel), true),
            (["TERM": "xterm-256color"], plainReply, .unsupported, true),
            (["TERM": "xterm-256color"], nil, .unsupported, true),   // no reply in time
            ([:], Array("garbage".utf8), .unsupported, true),
        ]
        for (env, reply, expected, asks) in table {
            var asked = false
            XCTAssertEqual(decide(env, reply: reply, asked: &asked), expected, "\(env)")
            XCTAssertEqual(asked, asks, "\(env): terminal asked")
        }
    }

    func testNotATerminalWinsOverEverything() {
        for forced in [nil, PreviewProtocol.kitty, .iterm, .sixel] {
            var asked = false
            XCTAssertEqual(decide(["KITTY_WINDOW_ID": "1"], tty: false, forced: forced, reply: sixelReply, asked: &asked),
                           .notATerminal)
            XCTAssertFalse(asked, "no query is sent when stdout is a pipe")
        }
    }

    func testForcedSkipsDetection() {
        var asked = false
        XCTAssertEqual(decide(["KITTY_WINDOW_ID": "1"], forced: .sixel, asked: &asked), .show(.sixel))
        XCTAssertEqual(decide([:], forced: .iterm, reply: plainReply, asked: &asked), .show(.iterm))
        XCTAssertFalse(asked)
    }

    func testDeviceAttributeReplies() {
        XCTAssertTrue(PreviewDetection.supportsSixel(Array("\u{1B}[?63;1;2;4;6;9;15;22c".utf8)))   // xterm -ti vt340
        XCTAssertTrue(PreviewDetection.supportsSixel(Array("\u{1B}[?62;4c".utf8)))
        XCTAssertTrue(PreviewDetection.supportsSixel(Array("noise\u{1B}[?65;4;6;22c".utf8)))
        XCTAssertFalse(PreviewDetection.supportsSixel(Array("\u{1B}[?64;1;2;6;9;15;18;21;22c".utf8)))   // xterm default
        XCTAssertFalse(PreviewDetection.supportsSixel(Array("\u{1B}[?4;6c".utf8)), "4 as the class is not sixel")
        XCTAssertFalse(PreviewDetection.supportsSixel(Array("\u{1B}[?62;14c".utf8)))
        XCTAssertFalse(PreviewDetection.supportsSixel(Array("\u{1B}[?62;4".utf8)), "an unfinished reply")
        XCTAssertFalse(PreviewDetection.supportsSixel([]))
    }

    func testPreviewArgumentsExpand() {
        XCTAssertEqual(PreviewArguments.expand(["--preview", "dog"]), ["--preview", "dog"])
        XCTAssertEqual(PreviewArguments.expand(["--preview=kitty", "dog"]), ["--preview", "--preview-protocol", "kitty", "dog"])
        XCTAssertEqual(PreviewArguments.expand(["-n", "3", "--preview=sixel", "--", "--preview=iterm"]),
                       ["-n", "3", "--preview", "--preview-protocol", "sixel", "--", "--preview=iterm"])
        XCTAssertEqual(PreviewArguments.parse("iTerm2"), .iterm)
        XCTAssertNil(PreviewArguments.parse("ascii"))
    }
}
