import Foundation
import XCTest

/// `vigil alerts test` sends one message and says what the receiver answered (exit 1 when it
/// was not delivered); `vigil alerts list` reads the outbox; mistakes in the command are usage errors (64).
final class AlertsCommandTests: XCTestCase {
    func testTestListAndSilence() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-alertscmd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let port = 19501, received = dir.appendingPathComponent("received.jsonl").path
        let receiver = try startAlertReceiver(port: port, file: received)
        defer {
            receiver.terminate()
            receiver.waitUntilExit()
            try? FileManager.default.removeItem(at: dir)
        }
        let config = dir.appendingPathComponent("vigil.toml").path
        try """
            [collector]
            listen = "127.0.0.1:17999"
            [store]
            database = "\(dir.appendingPathComponent("vigil.sqlite").path)"
            [[channel]]
            name = "slack"
            type = "slack"
            url = "http://127.0.0.1:\(port)/services/T0/B0/X"
            [[channel]]
            name = "pd"
            type = "pagerduty"
            url = "http://127.0.0.1:\(port)/v2/enqueue"
            routing_key = "R0UT1NGKEY0123456789012345678901"
            [[channel]]
            name = "nobody"
            type = "webhook"
            url = "http://127.0.0.1:19502/hook"
            """.write(toFile: config, atomically: true, encoding: .utf8)

        let ok = try CLI.run(CLI.vigil, ["alerts", "test", "slack", "--config", config])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        XCTAssertTrue(ok.text.contains("slack (slack, http://127.0.0.1:\(port)/services/T0/B0/X): delivered: 200"), ok.text)
        let body = try XCTUnwrap(((try? String(contentsOfFile: received, encoding: .utf8)) ?? "").split(separator: "\n").first
            .flatMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }?["body"] as? [String: Any])
        XCTAssertTrue((body["text"] as? String ?? "").contains("[TEST]"), "Slack's text: \(body)")
        XCTAssertNotNil((body["attachments"] as? [[String: Any]])?.first?["color"])

        // PagerDuty Events API v2: the fields its documentation requires.
        let pd = try CLI.run(CLI.vigil, ["alerts", "test", "pd", "--config", config])
        XCTAssertEqual(pd.status, 0, pd.stderr)
        let lines = ((try? String(contentsOfFile: received, encoding: .utf8)) ?? "").split(separator: "\n")
        let event = try XCTUnwrap(lines.last.flatMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] })
        XCTAssertEqual(event["path"] as? String, "/v2/enqueue")
        let trigger = try XCTUnwrap(event["body"] as? [String: Any])
        XCTAssertEqual(trigger["routing_key"] as? String, "R0UT1NGKEY0123456789012345678901")
        XCTAssertEqual(trigger["event_action"] as? String, "trigger")
        XCTAssertNotNil(trigger["dedup_key"] as? String)
        let payload = try XCTUnwrap(trigger["payload"] as? [String: Any])
        XCTAssertEqual(payload["severity"] as? String, "info", "a test is information")
        XCTAssertEqual(payload["summary"] as? String, "Vigil test message")
        XCTAssertNotNil(payload["source"] as? String)

        let down = try CLI.run(CLI.vigil, ["alerts", "test", "nobody", "--config", config])
        XCTAssertEqual(down.status, 1)
        XCTAssertTrue(down.text.contains("NOT delivered"), down.text)
        let unknown = try CLI.run(CLI.vigil, ["alerts", "test", "pager", "--config", config])
        XCTAssertEqual(unknown.status, 64, "a usage error")
        XCTAssertTrue(unknown.stderr.contains("no [[channel]] named 'pager' (there are: slack, pd, nobody)"), unknown.stderr)

        let silence = try CLI.run(CLI.vigil, ["alerts", "silence", "AS64500", "--for", "2h", "--config", config])
        XCTAssertEqual(silence.status, 0, silence.stderr)
        XCTAssertTrue(silence.text.hasPrefix("silenced AS64500 until "), silence.text)
        let bad = try CLI.run(CLI.vigil, ["alerts", "silence", "AS64500", "--for", "soon", "--config", config])
        XCTAssertEqual(bad.status, 64, "a usage error")
        let list = try CLI.run(CLI.vigil, ["alerts", "list", "--config", config])
        XCTAssertEqual(list.status, 0, list.stderr)
        XCTAssertEqual(list.text, "no alerts\n", "tests are not kept in the outbox")
    }
}
