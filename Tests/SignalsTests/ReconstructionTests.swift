import Foundation
import XCTest
import BGPWire
import Entities
@testable import Replay
@testable import Signals
@testable import Simulator
@testable import Store

/// The bundled North Korea reconstruction, simulated as MRT and replayed through
/// the whole pipeline: the two December 2014 signatures must come out.
final class ReconstructionTests: XCTestCase {
    func t(_ s: String) -> Int64 { UTCTime.parse(s)! }

    func near(_ a: Int64?, _ b: Int64, within: Int64 = 300) -> Bool { a.map { abs($0 - b) <= within } ?? false }

    func testNorthKorea2014() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-nk-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let scenario = try Scenario(toml: BundledScenarios.northKorea2014, file: "north-korea-2014")
        var g = Generator(scenario)
        let out = try g.write(to: dir)
        XCTAssertEqual(out.updates.count, 10 * 288)
        var o = ReplayRunner.Options()
        o.ribs = [out.rib]
        o.updates = [out.updates]
        o.watch = [Entity("AS131279")!]
        o.detect = true
        let store = MemoryStore()
        let r = ReplayRunner(options: o, store: store, entityMap: nil)
        r.report = { _ in }
        _ = try r.run()
        let events = try blockingWait { try await store.events(entity: "AS131279", from: nil, until: nil) }
        let outages = events.filter { $0.kind == .outage }
        let instability = events.filter { $0.kind == .instability }
        XCTAssertEqual(outages.count, 4, EventFormat.table(events))
        // 22 Dec: all four withdrawn at 16:15 after more than a day of flapping; back 23 Dec 01:46.
        let dec22 = outages[0]
        XCTAssertTrue(near(dec22.start, t("2014-12-22T16:15Z")), UTCTime.format(dec22.start))
        XCTAssertTrue(near(dec22.end, t("2014-12-23T01:46Z")), "\(dec22.end.map(UTCTime.format) ?? "open")")
        XCTAssertEqual(dec22.cause, .bgpWithdrawal)
        XCTAssertEqual(dec22.scope, 1)
        XCTAssertTrue(dec22.precededByInstability)
        XCTAssertEqual(dec22.evidence.commonUpstream, 4837)
        XCTAssertEqual(Set(dec22.evidence.prefixes), ["175.45.176.0/24", "175.45.177.0/24", "175.45.178.0/24", "175.45.179.0/24"])
        // 23 Dec: two short drops.
        XCTAssertTrue(near(outages[1].start, t("2014-12-23T08:00Z")))
        XCTAssertTrue(near(outages[2].start, t("2014-12-23T15:41Z")))
        XCTAssertTrue(near(outages[2].end, t("2014-12-23T16:12Z")))
        // 27 Dec: a clean withdrawal, no instability before it.
        let dec27 = outages[3]
        XCTAssertTrue(near(dec27.start, t("2014-12-27T10:30Z")))
        XCTAssertFalse(dec27.precededByInstability)
        XCTAssertEqual(dec27.cause, .bgpWithdrawal)
        // The instability: one episode from late 19 Dec until the withdrawal, whose outage says since when.
        XCTAssertEqual(instability.count, 1, EventFormat.table(instability))
        XCTAssertTrue(near(instability.first?.start, t("2014-12-19T20:00Z"), within: 1800), EventFormat.table(instability))
        XCTAssertEqual(instability.first?.end, dec22.start)
        XCTAssertEqual(dec22.evidence.instabilitySince, instability.first?.start)
        // The short total losses while it flapped are evidence of the episode, not outages.
        XCTAssertGreaterThan(instability.first?.evidence.flaps ?? 0, 10)
        // Its evidence names the prefixes that flapped and the peers that dropped them.
        XCTAssertFalse(instability.first?.evidence.prefixes.isEmpty ?? true)
        XCTAssertTrue(Set(instability.first?.evidence.prefixes ?? []).isSubset(of: Set(dec22.evidence.prefixes)))
        XCTAssertGreaterThan(instability.first?.evidence.peersInOrder.count ?? 0, 1)
    }

    func testScenarioErrorsSayWhereAndWhat() {
        func problem(_ text: String) -> String {
            do { _ = try Scenario(toml: text, file: "s.toml"); return "no error" } catch { return "\(error)" }
        }
        XCTAssertTrue(problem("name = \"x\"\nstart = \n").hasPrefix("s.toml:2:"), problem("name = \"x\"\nstart = \n"))
        XCTAssertEqual(problem("start = \"2014-12-18\"\nend = \"2014-12-19\""), "s.toml: name: missing")
        let notATime = problem("name = \"x\"\nstart = \"yesterday\"\nend = \"2014-12-19\"")
        XCTAssertTrue(notATime.hasPrefix("s.toml:2: start: \"yesterday\" is not a time like \"2014-12-22T16:15Z\""), notATime)
        let head = "name = \"x\"\nstart = \"2014-12-18\"\nend = \"2014-12-19\"\n"
        let badKind = head + "[[event]]\nkind = \"explode\"\nstart = \"2014-12-18\"\nend = \"2014-12-19\""
        XCTAssertEqual(problem(badKind), "s.toml:5: event.1.kind: 'explode' is not one of flap, withdraw, upstream-withdraw, peer-down, peer-withdraw")
        let noEntity = head + "[[event]]\nkind = \"flap\"\nentity = \"AS1\"\nstart = \"2014-12-18\"\nend = \"2014-12-19\""
        XCTAssertEqual(problem(noEntity), "s.toml:6: event.1.entity: must name an [[entity]]")
    }

    /// Unknown keys used to be ignored: a misspelt key silently changed nothing.
    func testScenarioRejectsUnknownKeys() {
        func problem(_ text: String) -> String {
            do { _ = try Scenario(toml: text, file: "s.toml"); return "no error" } catch { return "\(error)" }
        }
        let head = "name = \"x\"\nstart = \"2014-12-18\"\nend = \"2014-12-19\"\n"
        XCTAssertEqual(problem(head + "sed = 7\n"), "s.toml:4: sed: unknown key (expected one of: background, collector, description, "
                       + "end, entity, event, name, peers, seed, start)")
        XCTAssertEqual(problem(head + "[peers]\nfull = 3\nparital = 2\n"),
                       "s.toml:6: peers.parital: unknown key (expected one of: full, partial, partial_share)")
        let event = head + "[[entity]]\nname = \"A\"\norigin = 1\nupstream = 2\nprefixes = [\"192.0.2.0/24\"]\n"
            + "[[event]]\nkind = \"withdraw\"\nentity = \"A\"\nstart = \"2014-12-18T01:00Z\"\nend = \"2014-12-18T02:00Z\"\n"
            + "[[event]]\nkind = \"withdraw\"\nentity = \"A\"\nstrat = \"2014-12-18T01:00Z\"\n"
        XCTAssertEqual(problem(event), "s.toml:17: event.2.strat: unknown key (expected one of: end, entity, kind, note, peer, peers, rate, share, start)")
        // Values out of range are errors too, not traps or silent defaults.
        XCTAssertEqual(problem(head + "[peers]\nfull = \"8\"\n"), "s.toml:5: peers.full: must be an integer")
        XCTAssertEqual(problem(head + "[peers]\nfull = 9223372036854775807\npartial = 9\n"), "s.toml:5: peers.full: 9223372036854775807 is out of range 1...200")
        XCTAssertEqual(problem(head + "seed = -1\n"), "s.toml:4: seed: -1 is out of range 0...9223372036854775807")
        XCTAssertEqual(problem(event.replacingOccurrences(of: "origin = 1", with: "origin = 4294967296")),
                       "s.toml:6: entity.1.origin: 4294967296 is out of range 1...4294967295")
        XCTAssertEqual(problem(head.replacingOccurrences(of: "2014-12-18", with: "1971-01-01")), "s.toml:3: end: a scenario spans at most 366 days")
        XCTAssertEqual(problem(head.replacingOccurrences(of: "2014-12-18", with: "1969-12-31")),
                       "s.toml:2: start: \"1969-12-31\" is outside 1970-01-01T01:00Z...2106-02-07")
        let infinite = event.replacingOccurrences(of: "strat = \"2014-12-18T01:00Z\"", with: "start = \"2014-12-18T01:00Z\"\nend = \"2014-12-18T02:00Z\"\nshare = inf")
        XCTAssertTrue(problem(infinite).hasPrefix("s.toml:19: event.2.share: inf is out of range"), problem(infinite))
    }
}
