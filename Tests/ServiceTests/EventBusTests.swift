import XCTest
@testable import Signals
@testable import Service

final class EventBusTests: XCTestCase {
    func bins(_ ms: [BusMessage]) -> [String] {
        ms.map {
            switch $0 {
            case let .binClosed(b): "bin \(b)"
            case let .missed(n): "missed \(n)"
            case let .event(c, _): "event \(c.event.id)"
            case let .feed(f): "feed \(f.peer)"
            case let .source(h): "source \(h.source)"
            }
        }
    }

    func drain(_ it: inout AsyncStream<BusMessage>.Iterator, _ n: Int? = nil) async -> [BusMessage] {
        var out: [BusMessage] = []
        while n == nil || out.count < n!, let m = await it.next() { out.append(m) }
        return out
    }

    func testASlowSubscriberNeverBlocksAndSaysWhatItMissed() async {
        let bus = EventBus()
        let slow = bus.subscribe("slow", capacity: 4)
        let fast = bus.subscribe("fast", capacity: 1000)
        for i in 0..<100 { bus.publish(.binClosed(Int64(i))) }  // returns although "slow" reads nothing
        XCTAssertEqual(slow.missed, 96)
        XCTAssertEqual(fast.missed, 0)
        XCTAssertEqual(bus.missedBySubscriber.map(\.missed), [96, 0])
        var s = slow.messages.makeAsyncIterator()
        let first = await drain(&s, 4)
        XCTAssertEqual(bins(first), ["bin 0", "bin 1", "bin 2", "bin 3"], "the oldest are kept, the newest dropped")
        // With room again, the gap is marked where the missed messages were.
        bus.publish(.binClosed(100))
        bus.finish()
        let rest = await drain(&s)
        XCTAssertEqual(bins(rest), ["missed 96", "bin 100"])
        var f = fast.messages.makeAsyncIterator()
        let all = await drain(&f)
        XCTAssertEqual(bins(all), (0...100).map { "bin \($0)" })
    }

    func testEventsAndFeedChangesReachEverySubscriber() async {
        let bus = EventBus()
        let subs = (0..<3).map { bus.subscribe("s\($0)", capacity: 8) }
        let e = Event(entity: "AS131279", kind: .outage, cause: .bgpWithdrawal, start: 1_419_265_800, end: nil, scope: 1, severity: 0,
                      level: "critical", precededByInstability: true, evidence: .init(signal: "routed_space"))
        bus.publish(.event(.opened(e), latency: nil))
        bus.publish(.feed(FeedEvent(peer: "192.0.2.1 AS64500", kind: .sessionDown, start: 1, end: nil, usualRoutes: 900_000, routesLeft: 0)))
        bus.finish()
        for sub in subs {
            var it = sub.messages.makeAsyncIterator()
            let got = await drain(&it)
            XCTAssertEqual(bins(got), ["event AS131279|outage|1419265800", "feed 192.0.2.1 AS64500"], sub.name)
        }
    }

    func testAFinishedSubscriberLeavesTheBus() async {
        let bus = EventBus()
        var gone: EventBus.Subscription? = bus.subscribe("gone", capacity: 2)
        let kept = bus.subscribe("kept", capacity: 2)
        XCTAssertEqual(bus.missedBySubscriber.count, 2)
        gone = nil
        XCTAssertNil(gone)
        // Dropping the last reference to a stream terminates it; its subscriber is removed.
        for _ in 0..<50 where bus.missedBySubscriber.count == 2 { try? await Task.sleep(nanoseconds: 10_000_000) }
        XCTAssertEqual(bus.missedBySubscriber.map(\.name), [kept.name])
    }
}
