import XCTest
import BGPWire
@testable import Collector

final class SessionMachineTests: XCTestCase {
    let config: SessionMachine.Config = {
        var c = SessionMachine.Config(localAS: 12654, routerID: 0x0A00_00FE)
        c.holdTime = 90
        return c
    }()

    func peerOpen(hold: UInt16 = 60, caps: [Capability] = [.multiprotocol(.ipv4Unicast), .fourOctetAS(4_200_000_001),
                                                              .addPath([.init(family: .ipv4Unicast, sendReceive: 3)])]) -> Open {
        Open(myAS: 23456, holdTime: hold, bgpIdentifier: 0x0A00_0001, capabilities: caps)
    }

    /// Idle → Active → OpenSent → OpenConfirm → Established, with the negotiation.
    func testHandshakeAndNegotiation() {
        var m = SessionMachine(config: config)
        XCTAssertEqual(m.handle(.start(passive: true)), [])
        XCTAssertEqual(m.state, .active)
        let opened = m.handle(.tcpConnected)
        XCTAssertEqual(m.state, .openSent)
        guard case let .send(.open(o)) = opened.first else { return XCTFail("\(opened)") }
        XCTAssertEqual(o.asn, 12654)
        XCTAssertTrue(o.capabilities.contains(.fourOctetAS(12654)))
        // The OPEN must come within the open timeout (30 s, not RFC 4271's 240 s), and the KEEPALIVE after it too.
        XCTAssertEqual(opened.last, .startTimer(.hold, seconds: 30))
        XCTAssertEqual(m.handle(.message(.open(peerOpen()))),
                       [.send(.keepalive), .startTimer(.hold, seconds: 30), .startTimer(.keepalive, seconds: 20)])
        XCTAssertEqual(m.state, .openConfirm)
        let up = m.handle(.message(.keepalive))
        XCTAssertEqual(m.state, .established)
        XCTAssertEqual(up.first, .startTimer(.hold, seconds: 60), "established: the negotiated hold time")
        guard case let .established(n)? = up.last else { return XCTFail("\(up)") }
        XCTAssertEqual(n.peerAS, 4_200_000_001)
        XCTAssertEqual(n.holdTime, 60)
        XCTAssertEqual(n.families, [.ipv4Unicast])
        XCTAssertEqual(n.options, SessionOptions(fourOctetAS: true, addPath: [.ipv4Unicast], extendedMessages: false))
        // Keepalives go out every hold/3; the peer's keepalives restart the hold timer.
        XCTAssertEqual(m.handle(.timerExpired(.keepalive)), [.send(.keepalive), .startTimer(.keepalive, seconds: 20)])
        XCTAssertEqual(m.handle(.message(.keepalive)), [.startTimer(.hold, seconds: 60)])
    }

    func established() -> SessionMachine {
        var m = SessionMachine(config: config)
        _ = m.handle(.start(passive: true))
        _ = m.handle(.tcpConnected)
        _ = m.handle(.message(.open(peerOpen())))
        _ = m.handle(.message(.keepalive))
        return m
    }

    func testOpenErrorsGetTheRightNotification() {
        func reply(_ o: Open, peerAS: UInt32? = nil) -> BGPMessage? {
            var c = config
            c.peerAS = peerAS
            var m = SessionMachine(config: c)
            _ = m.handle(.start(passive: true))
            _ = m.handle(.tcpConnected)
            let out = m.handle(.message(.open(o)))
            XCTAssertEqual(m.state, .idle)
            if case let .send(msg)? = out.first { return msg }
            return nil
        }
        XCTAssertEqual(reply(Open(version: 3, myAS: 1, holdTime: 90, bgpIdentifier: 1)), .notification(Notification(code: 2, subcode: 1, data: [0, 4])))
        XCTAssertEqual(reply(peerOpen(), peerAS: 65000), .notification(Notification(code: 2, subcode: 2)))
        XCTAssertEqual(reply(peerOpen(hold: 2)), .notification(Notification(code: 2, subcode: 6)))
        XCTAssertEqual(reply(Open(myAS: 1, holdTime: 90, bgpIdentifier: 0)), .notification(Notification(code: 2, subcode: 3)))
    }

    func testHoldTimerNotificationAndSessionDown() {
        var m = established()
        let out = m.handle(.timerExpired(.hold))
        XCTAssertEqual(out.first, .send(.notification(Notification(code: 4, subcode: 0))))
        XCTAssertTrue(out.contains(.closeConnection))
        XCTAssertTrue(out.contains(.sessionDown(reason: "hold timer expired")))
        XCTAssertEqual(m.state, .idle)
        var n = established()
        XCTAssertTrue(n.handle(.message(.notification(Notification(code: 6, subcode: 4)))).contains(.sessionDown(reason: "peer sent NOTIFICATION 6/4")))
        var c = established()
        XCTAssertTrue(c.handle(.tcpClosed).contains(.sessionDown(reason: "connection closed")))
    }

    func testUnexpectedMessageIsAnFSMError() {
        var m = SessionMachine(config: config)
        _ = m.handle(.start(passive: true))
        _ = m.handle(.tcpConnected)
        let out = m.handle(.message(.update(Update())))
        XCTAssertEqual(out.first, .send(.notification(Notification(code: 5, subcode: 1))))
        XCTAssertEqual(m.state, .idle)
    }

    func testUpdatesAreValidatedPerRFC7606() {
        var m = established()
        let p = NLRI(Prefix("192.0.2.0/24")!)
        let good = Update(attributes: [.origin(.igp), .asPath(ASPath(sequence: [1])), .nextHop(1)], nlri: [p])
        XCTAssertEqual(m.handle(.message(.update(good))), [.startTimer(.hold, seconds: 60), .update(.accept(good))])
        // A malformed ORIGIN: treat-as-withdraw, the session stays up.
        let badOrigin = Update(attributes: [.malformed(RawAttribute(flags: 0x40, type: .origin, value: [0, 0]), reason: "length 2"),
                                            .asPath(ASPath(sequence: [1])), .nextHop(1)], nlri: [p])
        guard case let .update(.treatAsWithdraw(w, reason))? = m.handle(.message(.update(badOrigin))).last else { return XCTFail() }
        XCTAssertEqual(w, [p])
        XCTAssertTrue(reason.contains("malformed attribute 1"), reason)
        XCTAssertEqual(m.state, .established)
        // A missing NEXT_HOP: treat-as-withdraw.
        guard case .update(.treatAsWithdraw)? = m.handle(.message(.update(Update(attributes: [.origin(.igp), .asPath(ASPath([]))], nlri: [p])))).last
        else { return XCTFail() }
        // A malformed AGGREGATOR: attribute discard.
        let badAgg = Update(attributes: [.origin(.igp), .asPath(ASPath(sequence: [1])), .nextHop(1),
                                         .malformed(RawAttribute(flags: 0xC0, type: .aggregator, value: [1]), reason: "length 1")], nlri: [p])
        XCTAssertEqual(m.handle(.message(.update(badAgg))).last, .update(.attributeDiscard(good, discarded: [.aggregator])))
        // A malformed MP_REACH_NLRI: only a reset is safe.
        let badMP = Update(attributes: [.origin(.igp), .asPath(ASPath([])),
                                        .malformed(RawAttribute(flags: 0x80, type: .mpReachNLRI, value: [0, 2]), reason: "truncated")])
        let out = m.handle(.message(.update(badMP)))
        XCTAssertEqual(out.first, .send(.notification(Notification(code: 3, subcode: 9))))
        XCTAssertEqual(m.state, .idle)
    }

    func testActiveModeConnectsAndRetries() {
        var m = SessionMachine(config: config)
        XCTAssertEqual(m.handle(.start(passive: false)), [.connect])
        XCTAssertEqual(m.handle(.tcpFailed), [.startTimer(.connectRetry, seconds: 30)])
        XCTAssertEqual(m.handle(.timerExpired(.connectRetry)), [.connect])
        XCTAssertEqual(m.state, .connect)
    }
}

/// The status registry forgets unconfigured peers an hour after they went idle.
final class SessionRegistryTests: XCTestCase {
    func testUnconfiguredIdlePeersArePruned() {
        let r = SessionRegistry()
        let configured = IPAddress("192.0.2.1")!, stranger = IPAddress("192.0.2.9")!, active = IPAddress("192.0.2.10")!
        r.update(configured) { $0.state = "Idle"; $0.since = 1000 }
        r.update(stranger) { $0.state = "Idle"; $0.since = 1000; $0.lastMessage = 1200 }
        r.update(active) { $0.state = "Established"; $0.since = 1000 }
        XCTAssertEqual(r.prune(keeping: [configured], idle: 3600, now: 1200 + 3599), 0)
        XCTAssertEqual(r.prune(keeping: [configured], idle: 3600, now: 1200 + 3600), 1)
        XCTAssertEqual(r.snapshot().map(\.address), ["192.0.2.1", "192.0.2.10"])
    }
}
