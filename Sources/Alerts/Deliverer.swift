import Foundation
public import Config
public import Store
import AsyncHTTPClient
import NIOCore
import NIOHTTP1
public import Logging

/// Takes the outbox to the receivers: each channel on a task of its own (one that is down never
/// delays another, and nothing here ever waits in the pipeline), in the order messages were
/// written, at most `rate` a second. A message is marked delivered only when the receiver answered
/// 2xx; otherwise it is tried again after a backoff that doubles up to `max_backoff`. A message
/// about an event waits while an earlier one about the same event is undelivered, so a
/// resolution never overtakes its opening. Every attempt is recorded.
public final class Deliverer: Sendable {
    let store: any SeriesStore
    let config: AlertsConfig
    let http: HTTPClient
    let logger: Logger
    let wake: AsyncStream<Void>.Continuation
    let wakes: AsyncStream<Void>

    public init(store: any SeriesStore, config: AlertsConfig, logger: Logger) {
        (self.store, self.config, self.logger) = (store, config, logger)
        var c = HTTPClient.Configuration()
        c.timeout = .init(connect: .seconds(5), read: .seconds(30))
        c.redirectConfiguration = .disallow
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: c)
        (wakes, wake) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Something new is in the outbox.
    public func poke() { wake.yield() }

    /// Delivers until the task is cancelled, then closes its connections.
    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            var pokes: [AsyncStream<Void>.Continuation] = []
            for ch in config.channels {
                let (s, c) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
                pokes.append(c)
                group.addTask { [self] in await channelLoop(ch, wakes: s, again: c) }
            }
            group.addTask { [self, pokes] in
                for await _ in wakes { for p in pokes { p.yield() } }
            }
            group.addTask { [self] in await refreshAlertmanager() }
            // Until cancelled (every child runs until then).
            await group.waitForAll()
        }
        try? await http.shutdown()
    }

    func channelLoop(_ ch: AlertsConfig.Channel, wakes: AsyncStream<Void>, again: AsyncStream<Void>.Continuation) async {
        var tokens = max(1, ch.rate), last = Date()
        // A receiver that is unreachable or failing (no answer, 5xx, 429) is left alone until its backoff
        // ends: trying each message in turn would cost a timeout apiece.
        var pausedUntil: Int64 = 0, failures = 0
        var iterator = wakes.makeAsyncIterator()
        while !Task.isCancelled {
            // The outbox is read again each second (retries come due) or at once when poked.
            let pause = Task {
                guard (try? await Task.sleep(for: .seconds(1))) != nil else { return }
                again.yield()
            }
            _ = await iterator.next()
            pause.cancel()
            if Task.isCancelled { break }
            let now = Int64(Date().timeIntervalSince1970)
            if now < pausedUntil { continue }
            let items: [OutboxItem]
            do { items = try await store.pendingAlerts(channel: ch.name, due: nil, limit: 1000) } catch {
                logger.error("alerts: outbox: \(error)")
                continue
            }
            var blocked = Set<String>()
            for item in items.sorted(by: { $0.id < $1.id }) {
                if Task.isCancelled { break }
                // Not yet due, or an earlier message about the same event still waits: this one waits too.
                if item.nextTry > now || blocked.contains(item.key) {
                    blocked.insert(item.key)
                    continue
                }
                let elapsed = Date().timeIntervalSince(last)
                last = Date()
                tokens = min(max(1, ch.rate), tokens + elapsed * ch.rate)
                if tokens < 1 {
                    try? await Task.sleep(for: .seconds((1 - tokens) / ch.rate))
                    tokens = 1
                    last = Date()
                }
                tokens -= 1
                let (ok, detail) = await send(item, ch)
                let at = Int64(Date().timeIntervalSince1970)
                let receiverDown = !ok && Self.receiverDown(detail)
                failures = ok ? 0 : receiverDown ? failures + 1 : failures
                let backoff = min(config.maxBackoff, Int64(2) << min(max(item.attempts, failures - 1), 20))
                if !ok {
                    blocked.insert(item.key)
                    logger.warning("alerts: \(ch.name): \(item.notice) not delivered (try \(item.attempts + 1)): \(detail)")
                }
                do { try await store.recordAlertAttempt(item.id, at: at, delivered: ok, detail: detail, nextTry: ok ? at : at + backoff) } catch {
                    logger.error("alerts: outbox: \(error)")
                }
                if receiverDown {
                    pausedUntil = at + backoff
                    break
                }
            }
        }
    }

    /// Closes the HTTP client (when `run` was never called).
    public func close() async throws { try await http.shutdown() }

    /// Whether a failure says the receiver as a whole is unavailable (no answer, 5xx, 429), not that one message was refused.
    static func receiverDown(_ detail: String) -> Bool {
        guard let code = Int(detail.prefix(3)), detail.count == 3 || detail.dropFirst(3).first == " " else { return true }
        return code >= 500 || code == 429 || code == 408
    }

    /// One HTTP request: (delivered, what the receiver said).
    public func send(_ item: OutboxItem, _ ch: AlertsConfig.Channel) async -> (Bool, String) {
        let notice: Notice
        do { notice = try Notice.decode(item.payload) } catch { return (false, "cannot read the notice: \(error)") }
        switch ch.kind {
        case .syslog:
            do {
                try await Syslog.send(Syslog.message(notice, host: ProcessInfo.processInfo.hostName), to: ch.url, timeout: ch.timeout)
                return (true, "sent")
            } catch { return (false, "\(error)") }
        case .email:
            guard let u = URLComponents(string: ch.url), let host = u.host else { return (false, "\(ch.url): no host") }
            let s = SMTPSettings(host: host, port: u.port ?? (ch.tls == "tls" ? 465 : 587), security: SMTPSettings.Security(rawValue: ch.tls) ?? .starttls,
                                 username: ch.username, password: ch.password, caFile: ch.caFile, from: ch.from, to: ch.to, timeout: ch.timeout)
            do { return (true, try await SMTP.send(SMTP.message(notice, from: ch.from, to: ch.to), with: s)) } catch { return (false, "\(error)") }
        default:
            do { return await post(try ChannelFormats.request(notice, channel: ch), timeout: ch.timeout) } catch {
                return (false, "cannot format: \(error)")
            }
        }
    }

    func post(_ r: AlertRequest, timeout: Int64) async -> (Bool, String) {
        var req = HTTPClientRequest(url: r.url)
        req.method = HTTPMethod(rawValue: r.method)
        for (k, v) in r.headers { req.headers.add(name: k, value: v) }
        req.body = .bytes(ByteBuffer(string: r.body))
        do {
            let resp = try await http.execute(req, timeout: .seconds(timeout))
            let text = String(buffer: try await resp.body.collect(upTo: 64 * 1024))
            let ok = (200..<300).contains(resp.status.code)
            return (ok, "\(resp.status.code)\(text.isEmpty ? "" : " " + String(text.prefix(200)))")
        } catch {
            return (false, "\(error)")
        }
    }

    /// Alertmanager resolves an alert it has not heard of for a while: the open ones (delivered
    /// openings without a resolution) are posted again every `alertmanager_refresh` seconds.
    func refreshAlertmanager() async {
        let channels = config.channels.filter { $0.kind == .alertmanager }
        guard !channels.isEmpty else { return }
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(config.alertmanagerRefresh))
            guard let items = try? await store.alertOutbox(limit: 5000) else { continue }
            for ch in channels {
                var latest: [String: OutboxItem] = [:]
                for i in items where i.channel == ch.name && i.delivered != nil && latest[i.key] == nil { latest[i.key] = i }
                let open = latest.values.compactMap { try? Notice.decode($0.payload) }.filter { $0.state != .resolved && $0.state != .test }
                guard !open.isEmpty else { continue }
                var r = try? ChannelFormats.request(open[0], channel: ch)
                r?.body = ChannelFormats.alertmanager(open.sorted { $0.key < $1.key }, now: Int64(Date().timeIntervalSince1970))
                if let r { _ = await post(r, timeout: ch.timeout) }
            }
        }
    }
}
