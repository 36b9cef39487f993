import Hummingbird
import NIOConcurrencyHelpers
import NIOCore

/// `stream`: Server-Sent Events of event and feed-health changes as they happen (`event: event`
/// with the event JSON and its change, `event: feed`, `event: bin` when a bin closed, `event:
/// missed` when this client fell behind and lost messages). A viewer has no stream: 204, which
/// tells a browser's EventSource not to retry.
extension WebAPI {
    /// At most this many clients at once, each with a bounded buffer on the bus.
    static let maxStreams = 64

    func stream(_ req: Request) async throws -> Response {
        guard let open = streams else { return Response(status: .noContent) }
        guard streamCount.withLockedValue({ n in
            guard n < Self.maxStreams else { return false }
            n += 1
            return true
        }) else { throw HTTPError(.serviceUnavailable, message: "\(Self.maxStreams) streams are open already: try again later") }
        let frames = open()
        let count = streamCount
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
                        body: ResponseBody { writer in
                            defer { count.withLockedValue { $0 -= 1 } }
                            try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
                            for await frame in frames { try await writer.write(ByteBuffer(string: frame)) }
                            try await writer.finish(nil)
                        })
    }
}
