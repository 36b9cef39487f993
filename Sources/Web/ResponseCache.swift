import Foundation
import Hummingbird
import NIOConcurrencyHelpers
import NIOCore

/// An API answer as bytes, before it becomes a response (so it can be kept and sent again).
struct Answer: Sendable {
    var type: String
    var bytes: ByteBuffer
    var disposition: String?

    var response: Response {
        var headers: HTTPFields = [.contentType: type]
        if let d = disposition { headers[.contentDisposition] = d }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: bytes))
    }
}

/// Answers by request (path and query), so a dashboard many people look at, or one page asked
/// again and again, costs one read of the store: 30 days of one entity is 17,000 rows to decode
/// and 66,000 numbers to write. Bounded in bytes (oldest out first); entries older than `maxAge`
/// seconds are not reused (nil: no limit).
final class ResponseCache: Sendable {
    struct Entry {
        var answer: Answer
        var at: Double
    }

    struct State {
        var entries: [String: Entry] = [:]
        var order: [String] = []
        var bytes = 0
    }

    let maxAge: Double?
    let maxBytes: Int
    let state = NIOLockedValueBox(State())

    init(maxAge: Double?, maxBytes: Int = 64 << 20) {
        self.maxAge = maxAge
        self.maxBytes = maxBytes
    }

    static func clock() -> Double { ProcessInfo.processInfo.systemUptime }

    func get(_ key: String) -> Answer? {
        let now = Self.clock()
        return state.withLockedValue { s in
            guard let e = s.entries[key] else { return nil }
            if let age = maxAge, now - e.at > age { return nil }
            return e.answer
        }
    }

    func put(_ key: String, _ answer: Answer) {
        let size = answer.bytes.readableBytes + key.utf8.count
        guard size <= maxBytes / 4 else { return }
        let now = Self.clock()
        state.withLockedValue { s in
            if let old = s.entries.removeValue(forKey: key) {
                s.bytes -= old.answer.bytes.readableBytes + key.utf8.count
                s.order.removeAll { $0 == key }
            }
            while s.bytes + size > maxBytes, !s.order.isEmpty {
                let gone = s.order.removeFirst()
                if let e = s.entries.removeValue(forKey: gone) { s.bytes -= e.answer.bytes.readableBytes + gone.utf8.count }
            }
            s.entries[key] = Entry(answer: answer, at: now)
            s.order.append(key)
            s.bytes += size
        }
    }

    var count: Int { state.withLockedValue { $0.entries.count } }
    var bytes: Int { state.withLockedValue { $0.bytes } }
}
