import XCTest
import BGPWire

/// Text from routers reaches logs and the status output only escaped.
final class PeerTextTests: XCTestCase {
    func testControlBytesInvalidUTF8AndLengthAreEscaped() {
        XCTAssertEqual(peerText(Array("edge1.example.net".utf8)), "edge1.example.net")
        XCTAssertEqual(peerText(Array("Zürich 東京".utf8)), "Zürich 東京")
        // A forged log line, a terminal escape, a backslash, a lone continuation byte.
        XCTAssertEqual(peerText(Array("ok\n2026-12-02T00:00:00Z  fake".utf8)), "ok\\x0a2026-12-02T00:00:00Z  fake")
        XCTAssertEqual(peerText([0x1B] + Array("[2J".utf8)), "\\x1b[2J")
        XCTAssertEqual(peerText(Array("a\\b".utf8)), "a\\\\b")
        XCTAssertEqual(peerText([0x61, 0x80, 0xC3]), "a\\x80\\xc3")
        // Unicode bidirectional overrides (format characters) and C1 controls are escaped too.
        XCTAssertEqual(peerText(Array("x\u{202E}y".utf8)), "x\\xe2\\x80\\xaey")
        XCTAssertEqual(peerText(Array(repeating: UInt8(ascii: "x"), count: 300)), String(repeating: "x", count: 256) + "…")
    }
}
