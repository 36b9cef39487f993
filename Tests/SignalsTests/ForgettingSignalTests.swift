import XCTest
import BGPWire
import Entities
@testable import Routing
@testable import Signals

/// The entity view of forgetting (live feeds): an entity whose routed prefixes went dark is
/// still measured (zeros: an outage), one whose only prefixes came and went is not (unknown),
/// and an id handed out again counts only toward its new prefix's entities.
final class ForgettingSignalTests: XCTestCase {
    func testForgottenPrefixesLeaveTheEntityViewAndTheirIdsServeOthers() {
        let watch = ["AS64500", "AS64666", "AS64777", "100.64.0.0/16"].map { Entity($0)! }
        let engine = SignalEngine(binSeconds: 300, watch: watch)
        engine.state.forgetting = true
        let peer = IPAddress("10.0.0.1")!
        func announce(_ t: UInt32, _ p: String, _ origin: UInt32) {
            _ = engine.apply(BGPElement(kind: .announcement, timestamp: t, peerAddress: peer, peerAS: 65001, prefix: Prefix(p)!,
                                        asPath: ASPath(sequence: [65001, origin])))
        }
        func withdraw(_ t: UInt32, _ p: String) -> [SeriesRow] {
            engine.apply(BGPElement(kind: .withdrawal, timestamp: t, peerAddress: peer, peerAS: 65001, prefix: Prefix(p)!))
        }
        // AS64500 routed for two hours; AS64666's prefixes (inside the watched /16) for a minute.
        announce(0, "192.0.2.0/24", 64500)
        announce(7200, "100.64.1.0/24", 64666)
        announce(7200, "100.64.2.0/24", 64666)
        _ = withdraw(7260, "100.64.1.0/24")
        _ = withdraw(7260, "100.64.2.0/24")
        _ = withdraw(7270, "192.0.2.0/24")
        // The next bin closes: AS64666 churned in 7200's bin, so it has a row there.
        var rows = engine.advance(to: 7500)
        XCTAssertEqual(Set(rows.map(\.entity)), ["AS64500", "AS64666", "100.64.0.0/16"])
        // The bin after: AS64666's prefixes are forgotten (unknown: no row); AS64500's went dark and is measured at zero.
        rows = engine.advance(to: 7800)
        XCTAssertEqual(rows.map(\.entity), ["AS64500"])
        XCTAssertEqual(rows.first?.visiblePrefixes, 0)
        XCTAssertEqual(engine.state.prefixes.live, 1)

        // A new prefix of AS64777 takes a released id: it counts toward AS64777, not the /16 the id's old prefix was in.
        announce(7900, "198.51.100.0/24", 64777)
        XCTAssertLessThan(Int(engine.state.prefixes.existingID(Prefix("198.51.100.0/24")!)!), 3, "a released id handed out again")
        rows = engine.advance(to: 8100)
        XCTAssertEqual(Set(rows.map(\.entity)), ["AS64500", "AS64777"])
        XCTAssertEqual(rows.first { $0.entity == "AS64777" }?.visiblePrefixes, 1)
        XCTAssertEqual(rows.first { $0.entity == "AS64777" }?.routedV4, 1)
    }

    func testWithoutAWatchListOriginsThatLeftAreDropped() {
        let engine = SignalEngine(binSeconds: 300)
        engine.state.forgetting = true
        let peer = IPAddress("10.0.0.1")!
        func element(_ kind: ElementKind, _ t: UInt32, _ i: Int, origin: UInt32) -> BGPElement {
            BGPElement(kind: kind, timestamp: t, peerAddress: peer, peerAS: 65001,
                       prefix: Prefix(address: .v4(0x6440_0000 | UInt32(i) << 8), length: 24),
                       asPath: kind == .announcement ? ASPath(sequence: [65001, origin]) : nil)
        }
        _ = engine.apply(element(.announcement, 0, 9999, origin: 64500))
        for round in 0..<3 {
            let t = UInt32(7200 + round * 600)
            // 1,000 prefixes from 1,000 origin ASes never seen before, gone within a minute.
            for i in 0..<1000 { _ = engine.apply(element(.announcement, t, i, origin: UInt32(100_000 + round * 1000 + i))) }
            for i in 0..<1000 { _ = engine.apply(element(.withdrawal, t + 60, i, origin: 0)) }
            _ = engine.advance(to: Int64(t) + 300)
            _ = engine.advance(to: Int64(t) + 600)
            XCTAssertEqual(engine.entityCount, 1, "round \(round): only AS64500 is still an entity")
        }
        XCTAssertLessThanOrEqual(engine.entities.count, 1001, "ids of dropped entities are handed out again")
    }

    func testTopEntitiesKeepsTheLargestOriginsAndEveryCountry() {
        let engine = SignalEngine(binSeconds: 300)
        engine.topEntities = 2
        let peer = IPAddress("10.0.0.1")!
        // AS64501 routes a /22, AS64502 a /23, AS64503 and AS64504 a /24 each.
        for (p, origin) in [("192.0.0.0/22", 64501), ("198.18.0.0/23", 64502), ("203.0.113.0/24", 64503), ("198.51.100.0/24", 64504)] {
            _ = engine.apply(BGPElement(kind: .announcement, timestamp: 10, peerAddress: peer, peerAS: 65001, prefix: Prefix(p)!,
                                        asPath: ASPath(sequence: [65001, UInt32(origin)])))
        }
        let rows = engine.advance(to: 300)
        XCTAssertEqual(rows.map(\.entity).sorted(), ["AS64501", "AS64502"])
        // American Samoa's code is "AS": a country, kept whatever its space.
        let samoa = SeriesRow(entity: "AS", bin: 0, routedV4: 0, routedV6: 0, visiblePrefixes: 0, meanVisibility: 0, announcements: 0,
                              withdrawals: 0, pathChanges: 0, originChanges: 0, fullFeedPeers4: 1, fullFeedPeers6: 0)
        XCTAssertEqual(SignalEngine.keepTop(1, of: rows + [samoa], isAS: rows.map { _ in true } + [false]).map(\.entity).sorted(), ["AS", "AS64501"])
    }
}
