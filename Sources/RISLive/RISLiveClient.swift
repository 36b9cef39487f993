import Foundation
public import Logging
import WSClient

/// A RIS Live connection that stays up: it subscribes, pings, reads, and when the stream ends,
/// stalls or complains (`ris_error`) it reconnects with exponential backoff and jitter and sends
/// its subscriptions again. It never decides what a gap means: it says what happened
/// (`Happening`) and the source turns that into feed health.
public final class RISLiveClient: Sendable {
    public struct Options: Sendable {
        /// `wss://ris-live.ripe.net/v1/ws/?client=NAME` (RIPE asks clients to name themselves); tests use a local `ws://`.
        public var url: String
        public var subscriptions: [RISSubscription]
        /// An application-level `ping` this often; RIS Live answers `pong`.
        public var pingEvery: Duration = .seconds(30)
        /// No message (not even a pong) for this long: the stream has stalled; reconnect.
        public var staleAfter: Duration = .seconds(90)
        /// No update (pongs only) for this long: the subscription no longer delivers; reconnect and
        /// subscribe again. Nil for a filtered stream, which may be quiet for hours.
        public var silentAfter: Duration?
        /// Reconnect delays: the first, and the most they grow to (doubling, then 50–100% of it at random).
        public var backoffFirst: Duration = .seconds(1)
        public var backoffMax: Duration = .seconds(60)
        /// Frames and messages larger than this end the connection (a whole UPDATE with `raw` is under 20 KB).
        public var maxMessage = 1 << 20
        /// Hand on each UPDATE's raw bytes (`RISDecoder.keepRaw`), to archive them.
        public var keepRaw = false
        public init(url: String, subscriptions: [RISSubscription]) { (self.url, self.subscriptions) = (url, subscriptions) }
    }

    /// What the client saw, in order.
    public enum Happening: Sendable {
        case connected
        case event(RISEvent)
        /// A message that could not be used (the stream goes on).
        case problem(String)
        /// The connection ended (why), and the next attempt is in `retryIn`.
        case disconnected(String, retryIn: Duration)
    }

    public let options: Options
    let logger: Logger

    public init(_ options: Options, logger: Logger) {
        self.options = options
        self.logger = logger
    }

    struct Stalled: Error, CustomStringConvertible {
        let seconds: Double
        var description: String { String(format: "no message for %.0f s", seconds) }
    }
    struct Silent: Error, CustomStringConvertible {
        let seconds: Double
        var description: String { String(format: "no update for %.0f s (pongs only)", seconds) }
    }
    struct ServerError: Error, CustomStringConvertible {
        let message: String
        var description: String { "ris_error: \(message)" }
    }

    /// Runs until the task is cancelled, handing each happening to `on` (awaited: a slow consumer
    /// slows the reading, and RIS Live disconnects a client too far behind, which is reported).
    public func run(_ on: @escaping @Sendable (Happening) async -> Void) async {
        var attempt = 0
        while !Task.isCancelled {
            let began = ContinuousClock.now
            let why: String
            do {
                try await connectOnce(on)
                why = "closed by the server"
            } catch is CancellationError {
                return
            } catch {
                why = "\(error)"
            }
            if Task.isCancelled { return }
            // A connection that lasted is a fresh start; one that failed at once backs off further.
            attempt = ContinuousClock.now - began > .seconds(60) ? 0 : attempt + 1
            let delay = Self.backoff(attempt: attempt, first: options.backoffFirst, max: options.backoffMax)
            await on(.disconnected(why, retryIn: delay))
            do { try await Task.sleep(for: delay) } catch { return }
        }
    }

    /// The delay before attempt `attempt` (0: the first retry after a long connection).
    static func backoff(attempt: Int, first: Duration, max: Duration) -> Duration {
        func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
        let grown = min(seconds(first) * pow(2, Double(min(attempt, 20))), seconds(max))
        return .milliseconds(Int64(grown * 1000 * Double.random(in: 0.5...1.0)))
    }

    private func connectOnce(_ on: @escaping @Sendable (Happening) async -> Void) async throws {
        let o = options
        var config = WebSocketClientConfiguration(maxFrameSize: o.maxMessage, validateUTF8: true)
        config.autoPing = .disabled  // RIS Live's own ping (a text message) is answered by the service itself
        try await WebSocketClient.connect(url: o.url, configuration: config, logger: logger) { inbound, outbound, _ in
            for s in o.subscriptions { try await outbound.write(.text(s.message)) }
            await on(.connected)
            let last = LastSeen()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    // Pings keep the stream's pongs coming when nothing else does, so silence means a stall.
                    while true {
                        try await Task.sleep(for: o.pingEvery)
                        try await outbound.write(.text(RISSubscription.ping))
                    }
                }
                group.addTask {
                    while true {
                        try await Task.sleep(for: min(o.staleAfter / 4, (o.silentAfter ?? o.staleAfter) / 4, .seconds(5)))
                        let quiet = last.quietFor()
                        if quiet > o.staleAfter { throw Stalled(seconds: Double(quiet.components.seconds)) }
                        let silent = last.silentFor()
                        if let s = o.silentAfter, silent > s { throw Silent(seconds: Double(silent.components.seconds)) }
                    }
                }
                group.addTask {
                    var decoder = RISDecoder()
                    decoder.keepRaw = o.keepRaw
                    for try await message in inbound.messages(maxSize: o.maxMessage) {
                        last.touch()
                        guard case let .text(text) = message else { continue }
                        do {
                            let event = try decoder.decode(text)
                            // Time spent waiting for a full pipeline is not the stream's silence.
                            var update = false
                            if case .elements = event { update = true }
                            last.busy(true)
                            await on(.event(event))
                            last.busy(false, update: update)
                            if case let .error(m) = event { throw ServerError(message: m) }
                        } catch let p as RISProblem {
                            await on(.problem(p.description))
                        }
                    }
                }
                // The first to end ends the connection: the stream closing, a stall, an error.
                defer { group.cancelAll() }
                try await group.next()
            }
        }
    }
}

/// When the last message and the last update arrived (shared by the reader and the stall watch).
final class LastSeen: @unchecked Sendable {
    private let lock = NSLock()
    private var at = ContinuousClock.now
    private var updateAt = ContinuousClock.now
    private var handing = false
    func touch() { lock.withLock { at = .now } }
    /// While a message is being handed on, the stream is not quiet; the clocks restart after.
    func busy(_ b: Bool, update: Bool = false) {
        lock.withLock {
            handing = b
            at = .now
            if update { updateAt = .now }
        }
    }
    func quietFor() -> Duration { lock.withLock { handing ? .zero : ContinuousClock.now - at } }
    func silentFor() -> Duration { lock.withLock { handing ? .zero : ContinuousClock.now - updateAt } }
}
