import Foundation
import XCTest
import BGPWire
import Replay
@testable import Evaluation
@testable import Simulator

/// The detector scored on generated worlds with known ground truth (one seed: 24
/// cases, 48 outages, every noise class of the detection issue on the watched
/// entities, two decoys per event case), against the goals of that issue.
final class EvaluationTests: XCTestCase {
    func testGoalsOnOneSeed() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-eval-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cases = Suite.cases(seed: 1)
        let score = try Evaluator().run(cases, workDir: dir)
        let report = score.table(bin: 300) + "\n" + score.misses.joined(separator: "\n")
        XCTAssertEqual(score.cases, 24)
        XCTAssertEqual(score.outagesTrue, 48)
        XCTAssertEqual(score.decoys, 24)
        XCTAssertEqual(score.recall, 1, report)
        XCTAssertEqual(score.falseOutagesOnControl, 0, report)
        XCTAssertEqual(score.decoyAlarms, 0, report)
        XCTAssertGreaterThanOrEqual(score.precision, 0.95, report)
        XCTAssertGreaterThanOrEqual(score.causeAccuracy, 0.95, report)
        XCTAssertLessThanOrEqual(score.medianDelay, 300, report)
        // Every instability period found, every preceded_by_instability right: a 2000-prefix entity
        // whose prefixes flap one at a time (none falls twice) is told from noise by its rate.
        XCTAssertEqual(score.misses, [], report)
        XCTAssertEqual(score.instabilityFound, score.instabilityTrue, report)
        XCTAssertEqual(score.precededRight, score.preceded, report)
    }

    /// Every case carries every noise class, a share of it on the watched entities, and outages last at least 15 minutes.
    func testSuiteCarriesTheNoiseClasses() {
        for c in Suite.cases(seed: 1) {
            let b = c.scenario.background
            XCTAssertGreaterThan(b.flapsPerHour, 0, c.name)
            XCTAssertGreaterThan(b.pathChangesPerHour, 0, c.name)
            XCTAssertGreaterThan(b.communityChangesPerHour, 0, c.name)
            XCTAssertGreaterThan(b.multiPeerFlapsPerHour, 0, c.name)
            XCTAssertGreaterThan(b.allPeerFlapsPerHour, 0, c.name)
            XCTAssertGreaterThan(b.churners, 0, c.name)
            XCTAssertGreaterThan(b.entityShare, 0, c.name)
            XCTAssertGreaterThan(c.scenario.peers.partial, 0, c.name)
            XCTAssertTrue(c.truth.allSatisfy { $0.kind != "outage" || $0.end - $0.start >= 900 }, c.name)
            if !c.control {
                XCTAssertEqual(Set(c.scenario.events.map(\.kind)).intersection([.peerDown, .peerWithdraw]).count, 2, c.name)
            }
        }
    }

    /// The generator's noise on an entity and its feed events, read back from the MRT it wrote:
    /// noise never undoes a scripted withdrawal, a peer withdrawing its table withdraws all of it
    /// and re-announces it, and community changes are announcements of the same path.
    func testGeneratorNoiseAndFeedEvents() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-gen-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let t0: Int64 = 1_420_070_400
        var s = Scenario(name: "noise", start: t0, end: t0 + 4 * 3600)
        s.peers = .init(full: 3, partial: 1, partialShare: 0.5)
        s.background = .init(prefixes: 200, origins: 20, flapsPerHour: 60, pathChangesPerHour: 60, sessionResetsPerDay: 0)
        s.background.communityChangesPerHour = 60
        s.background.multiPeerFlapsPerHour = 60
        s.background.allPeerFlapsPerHour = 60
        s.background.churners = 2
        s.background.entityShare = 1
        let entity = (0..<4).map { Prefix(address: .v4(0x1E00_0000 + UInt32($0) << 8), length: 24) }
        s.entities = [.init(name: "AS65001", origin: 65001, upstream: 3000, prefixes: entity)]
        s.events = [.init(kind: .withdraw, entity: "AS65001", start: t0 + 3600, end: t0 + 7200)]
        var table = Scenario.EventDef(kind: .peerWithdraw, entity: nil, start: t0 + 9000, end: t0 + 10_800)
        table.peer = 1
        s.events.append(table)
        var g = Generator(s)
        let out = try g.write(to: dir)
        let stream = FileSequenceStream(files: out.updates, onIssue: { XCTFail($0) })
        let peer1 = IPAddress.v4(0x0A00_0002)
        var withdrawnByPeer1 = Set<Prefix>(), announcedByPeer1 = Set<Prefix>(), communityOnly = 0
        var last: [String: (ASPath?, [[UInt32]])] = [:]
        while let e = stream.next() {
            let t = Int64(e.timestamp)
            guard let p = e.prefix else { continue }
            if entity.contains(p), t > t0 + 3600 + 30, t < t0 + 7200 {
                XCTFail("\(p) announced or withdrawn at \(UTCTime.format(t)) during its scripted withdrawal")
            }
            if e.peerAddress == peer1, t >= t0 + 9000, t < t0 + 9000 + 120, e.kind == .withdrawal { withdrawnByPeer1.insert(p) }
            if e.peerAddress == peer1, t > t0 + 9000 + 120, t < t0 + 10_800 { XCTFail("peer 1 sent \(p) while its table was withdrawn") }
            if e.peerAddress == peer1, t == t0 + 10_800, e.kind == .announcement { announcedByPeer1.insert(p) }
            if e.kind == .announcement {
                let communities = e.attributes.compactMap { if case let .communities(c) = $0 { c } else { nil } }
                XCTAssertEqual(communities.count, 1)
                let key = "\(e.peerAddress) \(p)"
                if let (path, c) = last[key], path == e.asPath, c != communities { communityOnly += 1 }
                last[key] = (e.asPath, communities)
            }
        }
        // Peer 1 (full feed) carries every prefix: it withdrew them all within two minutes, and re-announced them at
        // the end, with any entity prefix that a flap brought back meanwhile (its table changed while withdrawn).
        XCTAssertGreaterThan(withdrawnByPeer1.count, 190)
        XCTAssertTrue(withdrawnByPeer1.isSubset(of: announcedByPeer1))
        XCTAssertTrue(announcedByPeer1.subtracting(withdrawnByPeer1).isSubset(of: Set(entity)))
        XCTAssertGreaterThan(communityOnly, 20)
    }
}
