import BGPWire
import Routing
import RPKI
import XCTest
@testable import Signals

/// Space taken rather than withdrawn: the YouTube case of 24 Feb 2008 rebuilt at ten peers, an
/// exact-prefix MOAS hijack, and the decoys that must stay quiet (a sibling, an RPKI-valid origin,
/// a MOAS settled for weeks).
final class DiversionWatchTests: XCTestCase {
    let youtube: UInt32 = 36561, pakistan: UInt32 = 17557, pccw: UInt32 = 3491
    let block = Prefix("208.65.152.0/22")!, hijacked = Prefix("208.65.153.0/24")!

    /// Ten full-feed peers each carrying YouTube's /22 (and a filler table so they count as full feeds).
    func world() -> RoutingState {
        let s = RoutingState(policy: FullFeedPolicy(minIPv4: 1, minIPv6: 1))
        for i in 0..<10 {
            let peer = s.peer(PeerKey(address: .v4(0x0A00_0001 + UInt32(i)), asn: 64_600 + UInt32(i)))
            _ = s.announce(peer: peer, prefix: block, asPath: ASPath(sequence: [64_600 + UInt32(i), 3356, youtube]))
        }
        s.updateFullFeed()
        return s
    }

    func announce(_ s: RoutingState, _ w: DiversionWatch, peers: Range<Int>, _ p: Prefix, _ path: [UInt32], at t: UInt32) {
        for i in peers {
            _ = s.announce(peer: i, prefix: p, asPath: ASPath(sequence: [64_600 + UInt32(i)] + path))
            w.announced(p, origin: path.last, at: t)
        }
    }

    func testAMoreSpecificFromAnotherOriginIsFoundWithItsSpreadAndItsEnd() throws {
        let s = world()
        let w = DiversionWatch()
        w.own(block, by: youtube)
        // YouTube's own route is no alarm; Pakistan Telecom's /24 through PCCW reaches six peers of ten.
        announce(s, w, peers: 0..<10, block, [3356, youtube], at: 1_203_878_000)
        XCTAssertEqual(w.assess(s, now: 1_203_878_000), [])
        announce(s, w, peers: 0..<6, hijacked, [pccw, pakistan], at: 1_203_878_820)
        let d = try XCTUnwrap(w.assess(s, now: 1_203_879_000).first)
        XCTAssertEqual(d.kind, .moreSpecific)
        XCTAssertEqual(d.victim, youtube)
        XCTAssertEqual(d.victimPrefix, block)
        XCTAssertEqual(d.prefix, hijacked)
        XCTAssertEqual(d.offender, pakistan)
        XCTAssertEqual(d.upstream, pccw, "spread through its upstream")
        XCTAssertEqual(d.fullFeedPeers, 6)
        XCTAssertEqual(d.share, 0.6, accuracy: 1e-9, "a more-specific wins at every peer that carries it")
        XCTAssertEqual(d.since, 1_203_878_820)
        XCTAssertNil(d.rpki)
        XCTAssertFalse(d.wonBack)

        // YouTube answers with the two /25s, carried by every peer: the longest match is YouTube's again.
        announce(s, w, peers: 0..<10, Prefix("208.65.153.0/25")!, [3356, youtube], at: 1_203_884_280)
        XCTAssertFalse(try XCTUnwrap(w.assess(s, now: 1_203_884_300).first).wonBack, "half the /24 is not all of it")
        announce(s, w, peers: 0..<10, Prefix("208.65.153.128/25")!, [3356, youtube], at: 1_203_884_290)
        XCTAssertTrue(try XCTUnwrap(w.assess(s, now: 1_203_884_400).first).wonBack)

        // PCCW withdraws it: the diversion is over and forgotten.
        for i in 0..<6 { _ = s.withdraw(peer: i, prefix: hijacked) }
        XCTAssertEqual(w.assess(s, now: 1_203_886_000), [])
    }

    func testTheSamePrefixFromAnotherOriginSplitsThePeers() throws {
        let s = world()
        let w = DiversionWatch()
        w.own(block, by: youtube)
        // Three peers prefer the offender's route for the /22 itself.
        announce(s, w, peers: 0..<3, block, [174, 64_666], at: 100)
        let d = try XCTUnwrap(w.assess(s, now: 200).first)
        XCTAssertEqual(d.kind, .samePrefix)
        XCTAssertEqual(d.offender, 64_666)
        XCTAssertEqual(d.share, 0.3, accuracy: 1e-9)
        XCTAssertEqual(d.upstream, 174)
        // One peer only: too local to judge (a single peer's leak).
        let one = world()
        let w1 = DiversionWatch()
        w1.own(block, by: youtube)
        announce(one, w1, peers: 0..<1, block, [174, 64_666], at: 100)
        XCTAssertEqual(w1.assess(one, now: 200), [])
    }

    func testSiblingsRPKIValidOriginsAndSettledMOASAreNoAlarm() throws {
        // A sibling announcing a more-specific.
        var s = world()
        var w = DiversionWatch()
        w.own(block, by: youtube)
        w.siblings[youtube] = [43515]
        announce(s, w, peers: 0..<10, hijacked, [3356, 43515], at: 100)
        XCTAssertEqual(w.assess(s, now: 200), [])

        // A new origin that holds a valid ROA; an RPKI-invalid one is marked so.
        s = world()
        w = DiversionWatch()
        w.own(block, by: youtube)
        w.vrps = VRPTable([VRP(prefix: block, maxLength: 24, asn: youtube), VRP(prefix: Prefix("208.65.154.0/24")!, maxLength: 24, asn: 64_777)])
        announce(s, w, peers: 0..<10, Prefix("208.65.154.0/24")!, [3356, 64_777], at: 100)
        announce(s, w, peers: 0..<6, hijacked, [pccw, pakistan], at: 100)
        let found = w.assess(s, now: 200)
        XCTAssertEqual(found.map(\.offender), [pakistan])
        XCTAssertEqual(found.first?.rpki, .invalid)

        // Anycast or multi-homing: the second origin has been there for weeks.
        s = world()
        w = DiversionWatch()
        w.own(block, by: youtube)
        announce(s, w, peers: 0..<5, block, [174, 64_888], at: 1_000)
        XCTAssertEqual(w.assess(s, now: 500).count, 1, "a clock behind the first sighting is not weeks later")
        XCTAssertEqual(w.assess(s, now: 1_000 + 86_400).count, 1, "a day: still news")
        XCTAssertEqual(w.assess(s, now: 1_000 + 15 * 86_400), [], "two weeks and more: how it is routed")
    }
}
