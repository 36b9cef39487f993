import BGPWire
import Foundation
import Signals

/// The bus as the web API's event stream: one subscriber per open page, its messages as
/// Server-Sent Event frames, and a comment every 15 s so a client that went away is noticed
/// (its write fails) and the subscription ends with it.
enum WebStream {
    static func frames(_ bus: EventBus) -> AsyncStream<String> {
        let sub = bus.subscribe("web-\(UUID().uuidString.prefix(8))", capacity: 1000)
        return AsyncStream(bufferingPolicy: .bufferingOldest(1000)) { out in
            let forward = Task {
                for await m in sub.messages {
                    if let f = frame(m) { out.yield(f) }
                }
                out.finish()
            }
            let heartbeat = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(15))
                    out.yield(": keepalive\n\n")
                }
            }
            out.onTermination = { _ in
                forward.cancel()
                heartbeat.cancel()
            }
        }
    }

    static func frame(_ m: BusMessage) -> String? {
        switch m {
        case let .event(change, latency):
            let line = EventFormat.jsonLine(change, latency: latency)
            return "event: event\ndata: {\"id\":\(quoted(change.event.id)),\(line.dropFirst())\n\n"
        case let .feed(f):
            return "event: feed\ndata: \(EventFormat.json(f.event))\n\n"
        case let .source(h):
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            guard let data = try? encoder.encode(h) else { return nil }
            return "event: feed\ndata: \(String(decoding: data, as: UTF8.self))\n\n"
        case let .binClosed(bin):
            return "event: bin\ndata: {\"bin\":\"\(UTCTime.format(bin))\"}\n\n"
        case let .missed(count):
            return "event: missed\ndata: {\"count\":\(count)}\n\n"
        }
    }

    static func quoted(_ s: String) -> String { "\"" + EventFormat.esc(s) + "\"" }
}
