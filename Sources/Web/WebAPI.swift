public import Hummingbird
public import Foundation
public import Store
import Signals
import NIOConcurrencyHelpers
import BGPWire
import Entities

/// The HTTP API under `/api/v1/` (reference: `Public/openapi.json`, served at
/// `/api/v1/openapi.json`). Read-only: every route is a GET on the store, plus what the running
/// process knows live (its sessions and sources) when it has a source at all.
public struct WebAPI: Sendable {
    let store: any SeriesStore
    /// This process's status report as JSON (`/status`'s body), nil in a viewer with no sources.
    let live: @Sendable () -> Data?
    /// The clock ("now" for default ranges); tests set it.
    let now: @Sendable () -> Int64
    /// A new client's stream of Server-Sent Event frames (`stream`); nil in a viewer.
    let streams: (@Sendable () -> AsyncStream<String>)?
    let streamCount = NIOLockedValueBox(0)
    /// Answers reused while the store cannot have changed (see `ResponseCache`).
    let cache: ResponseCache
    /// The entities a running observatory watches: known before their first bin is stored.
    let watched: @Sendable () -> [String]

    /// At most this much time in one signals request, and this many points.
    static let maxRange: Int64 = 400 * 86400
    static let maxPoints = 10_000

    public init(store: any SeriesStore, live: @escaping @Sendable () -> Data? = { nil },
                streams: (@Sendable () -> AsyncStream<String>)? = nil, watched: @escaping @Sendable () -> [String] = { [] },
                now: (@Sendable () -> Int64)? = nil) {
        self.watched = watched
        self.store = store
        self.live = live
        self.streams = streams
        self.now = now ?? { Int64(Date().timeIntervalSince1970) }
        // A viewer's store is read-only: an answer holds for a minute (default ranges end "now"). A
        // live store changes every bin and with every event: answers are reused for a second at most.
        cache = ResponseCache(maxAge: streams == nil ? 60 : 1)
    }

    /// The answer to a GET: from the cache when it holds one for this path and query, else made and kept.
    func answer(_ req: Request, cache useCache: Bool = true, _ make: () async throws -> Answer) async throws -> Response {
        let key = req.uri.description
        if useCache, let hit = cache.get(key) { return hit.response }
        let a = try await make()
        if useCache { cache.put(key, a) }
        return a.response
    }

    /// Adds the API's routes to `router`, and the dashboard's files (`Public/`) at `/`.
    public func register(on router: Router<BasicRequestContext>) {
        router.add(middleware: ReadOnlyMiddleware())
        if let root = Self.publicFolder {
            router.add(middleware: FileMiddleware(root, searchForIndexHtml: true))
        }
        let api = router.group("api/v1")
        api.get("openapi.json") { _, _ in try Self.file("openapi.json", type: "application/json") }
        api.get("entities") { req, _ in try await answer(req) { try await entities(req) } }
        api.get("entities/**") { req, ctx in try await answer(req) { try await entity(Self.path(ctx), req) } }
        api.get("signals/**") { req, ctx in try await answer(req) { try await signals(Self.path(ctx), req) } }
        api.get("events") { req, _ in try await answer(req) { try await events(req) } }
        api.get("events/**") { req, ctx in try await answer(req) { try await event(Self.path(ctx), req) } }
        api.get("summary") { req, _ in try await answer(req) { try await summary(req) } }
        api.get("feeds") { req, _ in try await answer(req, cache: false) { try await feeds(req) } }
        api.get("stream") { req, _ in try await stream(req) }
    }

    /// The rest of the path after the route's name, percent-decoded: entity names hold a "/"
    /// (`175.45.176.0/22`) and event ids a "|".
    static func path(_ ctx: BasicRequestContext) -> String {
        let raw = ctx.parameters.getCatchAll().joined(separator: "/")
        return raw.removingPercentEncoding ?? raw
    }

    static func json(_ text: String) -> Answer { Answer(type: "application/json; charset=utf-8", bytes: ByteBuffer(string: text)) }

    /// The dashboard's folder among this build's resources.
    static let publicFolder: String? = Bundle.module.resourceURL.map { $0.appendingPathComponent("Public").path }

    /// A file of `Public/`, read once per request (they are small; the dashboard caches them).
    static func file(_ name: String, type: String) throws -> Response {
        guard let url = Bundle.module.url(forResource: "Public/\(name)", withExtension: nil), let data = FileManager.default.contents(atPath: url.path) else {
            throw APIError.notFound("\(name) is not installed beside this vigil (its resources folder is missing)")
        }
        return Response(status: .ok, headers: [.contentType: type], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// An entity named in a path: parsed, and known to the store (404 otherwise).
    func knownEntity(_ text: String) async throws -> String {
        guard let e = Entity(text) else {
            throw APIError.badRequest("'\(text)' is not an entity: write a country code (KP), an AS (AS131279) or a prefix (175.45.176.0/22)")
        }
        let name = e.description
        if watched().contains(name) { return name }
        if try await store.searchEntities(name, limit: 1).first == name { return name }
        if try await !store.events(entity: name, from: nil, until: nil).isEmpty { return name }
        if try await !store.probeSeries(entity: name, from: nil, until: nil).isEmpty { return name }
        throw APIError.notFound("\(name): nothing is known of it here (no signals, events or probes stored)")
    }
}
