import BGPWire
import Entities
import Foundation
import Hummingbird
import HummingbirdTesting
import Probing
import Signals
import Store
@testable import Web
import XCTest

/// Each endpoint of `/api/v1/` over real HTTP (HummingbirdTesting's live mode: a socket on
/// loopback) on a SQLite store holding a small North Korea: AS131279 and KP for two days of
/// 5-minute bins, dark from 22 Dec 2014 16:15, its outage event, probing rounds and feed health.
final class APITests: XCTestCase {
    static let dark: Int64 = 1_419_264_900  // 2014-12-22T16:15:00Z
    static let first: Int64 = dark - 86400
    var path: String!

    override func setUpWithError() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-api-\(UUID().uuidString).db").path
    }

    override func tearDown() {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    func filledStore() async throws -> any SeriesStore {
        let store = try await Stores.open(path, vantage: "")
        for b in 0..<576 {
            let t = Self.first + Int64(b) * 300
            let up = t < Self.dark
            // A gap of an hour (Vigil was not running): unknown, not zero.
            if t >= Self.first + 6 * 3600 && t < Self.first + 7 * 3600 { continue }
            try await store.write([
                SeriesRow(entity: "AS131279", bin: t, routedV4: up ? 4 : 0, visiblePrefixes: up ? 1 : 0, meanVisibility: up ? 1 : 0,
                          announcements: up ? 0 : 0, withdrawals: t == Self.dark ? 40 : 0, fullFeedPeers4: 40),
                SeriesRow(entity: "KP", bin: t, routedV4: up ? 4 : 0, visiblePrefixes: up ? 1 : 0, meanVisibility: up ? 1 : 0, fullFeedPeers4: 40),
                SeriesRow(entity: "AS4837", bin: t, routedV4: 1000, visiblePrefixes: 300, meanVisibility: 1, fullFeedPeers4: 40),
            ], step: 300)
        }
        let evidence = Event.Evidence(signal: "routed space", baseline: 4, before: 4, worst: 0, visibilityBefore: 1, visibilityWorst: 0,
                                      peersInOrder: ["AS3356 4.69.184.193", "AS7018 12.0.1.63"], prefixes: ["175.45.176.0/22"], commonUpstream: 4837,
                                      note: "control characters stay JSON: \u{1}\t\"quoted\"")
        let outage = Event(entity: "AS131279", kind: .outage, cause: .bgpWithdrawal, start: Self.dark, end: Self.dark + 9 * 3600, scope: 1,
                           severity: 36, level: "total", precededByInstability: true, evidence: evidence)
        var blip = outage
        (blip.kind, blip.cause, blip.start, blip.end) = (.instability, .routeInstability, Self.dark - 7200, Self.dark - 3600)
        try await store.writeEvents([outage, blip])
        var map = EntityMap()
        map.addDelegated("apnic|KP|asn|131279|1||allocated\napnic|KP|ipv4|175.45.176.0|1024||allocated\n", file: "test")
        map.finish()
        try await store.saveEntityMap(map)
        try await store.savePrefixOrigins([(Prefix("175.45.176.0/22")!, 131279, Self.dark - 3600)])
        var rounds: [ProbeRow] = []
        for i in 0..<10 {
            let up = i < 5
            let t: Int64 = Self.dark - 3000 + Int64(i) * 600
            rounds.append(ProbeRow(entity: "AS131279", time: t, blocks: 4, judged: 4, up: up ? 4 : 0, down: up ? 0 : 4,
                                   uncertain: 0, sent: 16, answered: up ? 16 : 0, rttMedian: 250, rttP95: 300))
        }
        try await store.writeProbes(rounds)
        try await store.writeSourceHealth([SourceHealth(source: "bgp 127.0.0.2", state: .up, since: Self.first, lastData: Self.dark, detail: "1 of 1 sessions")])
        return store
    }

    /// Runs `body` with a client of a live server on the filled store; its clock is two days after the outage.
    func withServer(_ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let store = try await filledStore()
        let router = Router()
        WebAPI(store: store, now: { Self.dark + 86400 }).register(on: router)
        try await Application(router: router).test(.live) { client in try await body(client) }
    }

    static func get(_ client: any TestClientProtocol, _ uri: String, status: HTTPResponse.Status = .ok,
                    file: StaticString = #filePath, line: UInt = #line) async throws -> [String: Any] {
        try await client.execute(uri: uri, method: .get) { r in
            XCTAssertEqual(r.status, status, "\(uri): \(String(buffer: r.body))", file: file, line: line)
            let o = try JSONSerialization.jsonObject(with: Data(buffer: r.body)) as? [String: Any]
            XCTAssertNotNil(o, "\(uri) answers a JSON object", file: file, line: line)
            return o ?? [:]
        }
    }

    static func message(_ o: [String: Any]) -> String { ((o["error"] as? [String: Any])?["message"] as? String) ?? "" }

    func testEntities() async throws {
        try await withServer { c in
            let found = try await Self.get(c, "/api/v1/entities?q=as13")
            XCTAssertEqual((found["entities"] as? [[String: Any]])?.compactMap { $0["code"] as? String }, ["AS131279"])
            let countries = try await Self.get(c, "/api/v1/entities?q=k&type=country")
            XCTAssertEqual((countries["entities"] as? [[String: Any]])?.map { $0["type"] as? String }, ["country"])
            let related = try await Self.get(c, "/api/v1/entities?related=KP")
            XCTAssertEqual((related["entities"] as? [[String: Any]])?.compactMap { $0["code"] as? String }, ["AS131279"], "a country's ASes")
            let one = try await Self.get(c, "/api/v1/entities/AS131279")
            XCTAssertEqual(one["country"] as? String, "KP")
            XCTAssertEqual(one["prefixes"] as? [String], ["175.45.176.0/22"])
            XCTAssertEqual(one["upstreams"] as? [String], ["AS4837"])
            XCTAssertEqual(one["type"] as? String, "as")
            let prefix = try await Self.get(c, "/api/v1/entities/175.45.176.0%2F22", status: .notFound)
            XCTAssertTrue(Self.message(prefix).contains("nothing is known"), Self.message(prefix))
            let bad = try await Self.get(c, "/api/v1/entities/not-an-entity", status: .badRequest)
            XCTAssertTrue(Self.message(bad).contains("is not an entity"), Self.message(bad))
            let unknown = try await Self.get(c, "/api/v1/entities/AS64500", status: .notFound)
            XCTAssertTrue(Self.message(unknown).contains("AS64500"))
            _ = try await Self.get(c, "/api/v1/entities?type=planet", status: .badRequest)
            _ = try await Self.get(c, "/api/v1/entities?type=", status: .badRequest)
            try await c.execute(uri: "/api/v1/entities", method: .post) { r in
                XCTAssertEqual(r.status, .methodNotAllowed, "read-only")
                XCTAssertEqual(r.headers[.allow], "GET, HEAD")
            }
            try await c.execute(uri: "/api/v1/nowhere", method: .delete) { r in XCTAssertEqual(r.status, .methodNotAllowed) }
            _ = try await Self.get(c, "/api/v1/entities?limit=0", status: .badRequest)
        }
    }

    func testSignalsDownsampledWithGapsAndNormalised() async throws {
        try await withServer { c in
            let from = UTCTime.format(Self.first), until = UTCTime.format(Self.first + 2 * 86400)
            let o = try await Self.get(c, "/api/v1/signals/AS131279?from=\(from)&until=\(until)&signals=routed_v4,blocks_up&max_points=100")
            let series = try XCTUnwrap(o["series"] as? [[String: Any]])
            XCTAssertEqual(series.compactMap { $0["signal"] as? String }, ["routed_v4", "blocks_up"])
            let routed = series[0]
            let t = try XCTUnwrap(routed["t"] as? [Int64]), values = try XCTUnwrap(routed["values"] as? [Any])
            XCTAssertEqual(t.count, values.count)
            XCTAssertLessThanOrEqual(t.filter { _ in true }.count, 101, "at most max_points, plus a null for the gap")
            XCTAssertEqual(t, t.sorted())
            // The hour Vigil was not running is a null (unknown), never a zero.
            let gapIndex = try XCTUnwrap(values.firstIndex { $0 is NSNull }, "the gap is a null")
            XCTAssertGreaterThan(t[gapIndex], Self.first + 5 * 3600)
            XCTAssertLessThan(t[gapIndex], Self.first + 7 * 3600)
            // Dark from 16:15: the bucket holding it keeps its minimum (0), and every later one is 0.
            let numbers = values.map { $0 as? Double }
            let darkIndex = try XCTUnwrap(t.lastIndex { $0 <= Self.dark })
            XCTAssertEqual(numbers[darkIndex], 0)
            XCTAssertEqual(numbers[darkIndex - 1], 4)
            XCTAssertEqual(Set(numbers[(darkIndex + 1)...].compactMap { $0 }), [0])
            let normalised = try XCTUnwrap(routed["normalised"] as? [Any]).map { $0 as? Double }
            XCTAssertEqual(normalised[0], 1, "the peak is 1")
            XCTAssertEqual(normalised[darkIndex], 0)
            XCTAssertEqual(routed["unit"] as? String, "/24s")
            let probed = try XCTUnwrap(series[1]["values"] as? [Double])
            XCTAssertEqual(probed, [4, 4, 4, 4, 4, 0, 0, 0, 0, 0])
            XCTAssertEqual(series[1]["source"] as? String, "probing")
        }
    }

    func testSignalsCSVAndErrors() async throws {
        try await withServer { c in
            let uri = "/api/v1/signals/KP?from=2014-12-22T16:00:00Z&until=2014-12-22T16:30:00Z&signals=routed_v4&format=csv"
            try await c.execute(uri: uri, method: .get) { r in
                XCTAssertEqual(r.status, .ok)
                XCTAssertEqual(r.headers[.contentType], "text/csv; charset=utf-8")
                XCTAssertEqual(String(buffer: r.body), """
                    time,entity,signal,value
                    2014-12-22T16:00:00Z,KP,routed_v4,4
                    2014-12-22T16:05:00Z,KP,routed_v4,4
                    2014-12-22T16:10:00Z,KP,routed_v4,4
                    2014-12-22T16:15:00Z,KP,routed_v4,0
                    2014-12-22T16:20:00Z,KP,routed_v4,0
                    2014-12-22T16:25:00Z,KP,routed_v4,0

                    """)
            }
            let backwards = try await Self.get(c, "/api/v1/signals/KP?from=2014-12-23&until=2014-12-22", status: .badRequest)
            XCTAssertTrue(Self.message(backwards).contains("is not before"), Self.message(backwards))
            let decade = try await Self.get(c, "/api/v1/signals/KP?from=2005-01-01&until=2015-01-01", status: .badRequest)
            XCTAssertTrue(Self.message(decade).contains("at most 400 days"), Self.message(decade))
            let signal = try await Self.get(c, "/api/v1/signals/KP?signals=bogons", status: .badRequest)
            XCTAssertTrue(Self.message(signal).contains("'bogons' is not a signal"), Self.message(signal))
            let time = try await Self.get(c, "/api/v1/signals/KP?from=yesterday", status: .badRequest)
            XCTAssertTrue(Self.message(time).contains("from: 'yesterday' is not a time"), Self.message(time))
            _ = try await Self.get(c, "/api/v1/signals/KP?max_points=100000", status: .badRequest)
            _ = try await Self.get(c, "/api/v1/signals/AS64500", status: .notFound)
            _ = try await Self.get(c, "/api/v1/signals/KP?format=xml", status: .badRequest)
        }
    }

    func testEventsListFiltersAndPages() async throws {
        try await withServer { c in
            let all = try await Self.get(c, "/api/v1/events")
            XCTAssertEqual(all["total"] as? Int, 2)
            let events = try XCTUnwrap(all["events"] as? [[String: Any]])
            XCTAssertEqual(events.compactMap { $0["kind"] as? String }, ["outage", "instability"], "newest first")
            XCTAssertEqual(events[0]["id"] as? String, "AS131279|outage|\(Self.dark)")
            XCTAssertEqual(events[0]["cause"] as? String, "bgp-withdrawal")
            XCTAssertEqual(events[0]["start"] as? String, "2014-12-22T16:15:00Z")
            let outages = try await Self.get(c, "/api/v1/events?kind=outage&cause=bgp-withdrawal&entity=as131279")
            XCTAssertEqual(outages["total"] as? Int, 1)
            let none = try await Self.get(c, "/api/v1/events?ongoing=true")
            XCTAssertEqual(none["total"] as? Int, 0)
            let page2 = try await Self.get(c, "/api/v1/events?limit=1&page=2")
            XCTAssertEqual((page2["events"] as? [[String: Any]])?.compactMap { $0["kind"] as? String }, ["instability"])
            let window = try await Self.get(c, "/api/v1/events?from=2014-12-22T16:00:00Z&until=2014-12-22T17:00:00Z")
            XCTAssertEqual(window["total"] as? Int, 1)
            _ = try await Self.get(c, "/api/v1/events?kind=eclipse", status: .badRequest)
            _ = try await Self.get(c, "/api/v1/events?ongoing=maybe", status: .badRequest)
            _ = try await Self.get(c, "/api/v1/events?limit=5000", status: .badRequest)
            _ = try await Self.get(c, "/api/v1/events?kind=outage&kind=blip", status: .badRequest)
        }
    }

    func testOneEventWithItsStory() async throws {
        try await withServer { c in
            let id = "AS131279|outage|\(Self.dark)".addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["|"]))!
            let o = try await Self.get(c, "/api/v1/events/\(id)")
            let event = try XCTUnwrap(o["event"] as? [String: Any])
            let evidence = try XCTUnwrap(event["evidence"] as? [String: Any])
            XCTAssertEqual(evidence["peers_in_order"] as? [String], ["AS3356 4.69.184.193", "AS7018 12.0.1.63"])
            XCTAssertEqual(evidence["common_upstream"] as? String, "AS4837")
            XCTAssertEqual(evidence["note"] as? String, "control characters stay JSON: \u{1}\t\"quoted\"")
            let timeline = try XCTUnwrap(o["timeline"] as? [[String: Any]])
            XCTAssertEqual(timeline.first?["t"] as? String, "2014-12-22T15:15:00Z", "an hour before")
            let fall = try XCTUnwrap(timeline.first { $0["t"] as? String == "2014-12-22T16:15:00Z" })
            XCTAssertEqual(fall["routed_v4"] as? Double, 0)
            XCTAssertEqual(fall["withdrawals"] as? Int, 40)
            XCTAssertEqual(timeline.count, 2, "only the bins where something changed")
            _ = try await Self.get(c, "/api/v1/events/AS131279%7Coutage%7C1", status: .notFound)
            _ = try await Self.get(c, "/api/v1/events/nonsense", status: .badRequest)
        }
    }

    func testSummaryAndFeeds() async throws {
        try await withServer { c in
            let during = try await Self.get(c, "/api/v1/summary?at=2014-12-22T18:00:00Z")
            XCTAssertEqual((during["ongoing"] as? [[String: Any]])?.compactMap { $0["entity"] as? String }, ["AS131279"])
            XCTAssertEqual(during["countries"] as? [String: String], ["KP": "outage"], "the AS's country is dark on the map")
            let after = try await Self.get(c, "/api/v1/summary?at=2014-12-23T03:00:00Z")
            XCTAssertEqual((after["ongoing"] as? [Any])?.count, 0)
            XCTAssertEqual((after["recoveries"] as? [[String: Any]])?.compactMap { $0["kind"] as? String }, ["outage", "instability"])
            XCTAssertEqual(after["feeds"] as? [String: Int], ["up": 1])
            XCTAssertEqual(after["countries"] as? [String: String], [:])
            XCTAssertNotNil(after["drops"] as? [Any])
            let feeds = try await Self.get(c, "/api/v1/feeds")
            let sources = try XCTUnwrap(feeds["sources"] as? [[String: Any]])
            XCTAssertEqual(sources.first?["source"] as? String, "bgp 127.0.0.2")
            XCTAssertEqual(sources.first?["state"] as? String, "up")
            XCTAssertTrue(feeds["live"] is NSNull, "a viewer has no live sources")
        }
    }

    func testAnswersAreKeptAndErrorsAreNot() async throws {
        let store = try await filledStore()
        let router = Router()
        let api = WebAPI(store: store, now: { Self.dark + 86400 })
        api.register(on: router)
        try await Application(router: router).test(.live) { c in
            let uri = "/api/v1/signals/KP?from=2014-12-22&until=2014-12-23"
            let first = try await Self.get(c, uri)
            XCTAssertEqual(api.cache.count, 1)
            let again = try await Self.get(c, uri)
            XCTAssertEqual(NSDictionary(dictionary: first), NSDictionary(dictionary: again), "the same answer from the cache")
            XCTAssertEqual(api.cache.count, 1)
            _ = try await Self.get(c, "/api/v1/signals/KP?from=2014-12-23&until=2014-12-22", status: .badRequest)
            XCTAssertEqual(api.cache.count, 1, "errors are not kept")
            try await c.execute(uri: uri + "&format=csv", method: .get) { r in
                XCTAssertEqual(r.headers[.contentDisposition], "attachment; filename=\"vigil-KP.csv\"")
            }
            try await c.execute(uri: uri + "&format=csv", method: .get) { r in
                XCTAssertEqual(r.headers[.contentType], "text/csv; charset=utf-8", "a kept CSV keeps its type")
            }
        }
    }

    func testStreamIsServerSentEventsAndAViewerHasNone() async throws {
        try await withServer { c in
            try await c.execute(uri: "/api/v1/stream", method: .get) { r in XCTAssertEqual(r.status, .noContent, "a viewer: no stream") }
        }
        let store = try await filledStore()
        let router = Router()
        let frames = ["event: event\ndata: {\"id\":\"AS1|outage|0\"}\n\n", "event: bin\ndata: {}\n\n"]
        WebAPI(store: store, streams: { AsyncStream { out in
            for f in frames { out.yield(f) }
            out.finish()
        } }).register(on: router)
        try await Application(router: router).test(.live) { c in
            try await c.execute(uri: "/api/v1/stream", method: .get) { r in
                XCTAssertEqual(r.status, .ok)
                XCTAssertEqual(r.headers[.contentType], "text/event-stream")
                XCTAssertEqual(String(buffer: r.body), "retry: 2000\n\n" + frames.joined())
            }
        }
    }

    func testOpenAPIDocumentIsServedAndNamesEveryRoute() async throws {
        try await withServer { c in
            let doc = try await Self.get(c, "/api/v1/openapi.json")
            XCTAssertEqual(doc["openapi"] as? String, "3.1.0")
            let paths = try XCTUnwrap(doc["paths"] as? [String: Any])
            for p in ["entities", "entities/{entity}", "signals/{entity}", "events", "events/{id}", "summary", "feeds", "stream", "openapi.json"] {
                XCTAssertNotNil(paths["/api/v1/\(p)"], p)
            }
        }
    }
}
