public import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import NIOConcurrencyHelpers

/// A small SMTP client (RFC 5321) for alert mail: EHLO, STARTTLS (RFC 3207) or TLS from the first
/// byte, AUTH PLAIN or LOGIN (RFC 4954), one message to its recipients, QUIT. Written here because
/// the Swift ecosystem has no maintained SMTP client on SwiftNIO; the TLS is swift-nio-ssl's.
public struct SMTPSettings: Sendable {
    public enum Security: String, Sendable { case starttls, tls, none }
    public var host: String
    public var port: Int
    public var security: Security
    public var username: String?
    public var password: String?
    /// PEM file of the certificate authorities to trust (nil: the system's).
    public var caFile: String?
    public var from: String
    public var to: [String]
    public var timeout: Int64
    public init(host: String, port: Int, security: Security, username: String?, password: String?, caFile: String?, from: String, to: [String], timeout: Int64) {
        (self.host, self.port, self.security, self.username, self.password) = (host, port, security, username, password)
        (self.caFile, self.from, self.to, self.timeout) = (caFile, from, to, timeout)
    }
}

public enum SMTP {
    struct Failure: Error, CustomStringConvertible { let description: String }

    /// The message as RFC 5322 text: headers (the subject and the idempotency key among them) and a plain-text body.
    public static func message(_ n: Notice, from: String, to: [String], date: Date = Date()) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        func header(_ s: String) -> String {
            // Non-ASCII subjects as RFC 2047 encoded words; no line breaks in a header.
            let flat = s.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
            return flat.allSatisfy(\.isASCII) ? flat : "=?UTF-8?B?\(Data(flat.utf8).base64EncodedString())?="
        }
        let id = n.id.unicodeScalars.map { CharacterSet.alphanumerics.contains($0) ? String($0) : "." }.joined()
        var body = n.summary + "\r\n\r\n"
        body += "Entity: \(n.entity)\r\nKind: \(n.kind)\r\nCause: \(n.cause)\r\nLevel: \(n.level)\r\nStarted: \(n.start)\r\n"
        if let e = n.end { body += "Ended: \(e)\r\n" }
        if !n.vantage.isEmpty { body += "Vantage point: \(n.vantage)\r\n" }
        if let u = n.url { body += "\r\nDetails: \(u)\r\n" }
        body += "\r\n-- \r\nVigil (key \(n.key))\r\n"
        // A line starting with "." is doubled on the wire (RFC 5321 4.5.2).
        let dotted = body.split(separator: "\r\n", omittingEmptySubsequences: false).map { $0.hasPrefix(".") ? "." + $0 : String($0) }.joined(separator: "\r\n")
        return """
            From: \(header(from))\r
            To: \(to.map(header).joined(separator: ", "))\r
            Subject: \(header(n.title))\r
            Date: \(f.string(from: date))\r
            Message-ID: <\(id)@vigil>\r
            X-Vigil-Key: \(header(n.key))\r
            X-Vigil-Notice: \(header(n.id))\r
            MIME-Version: 1.0\r
            Content-Type: text/plain; charset=utf-8\r
            Content-Transfer-Encoding: 8bit\r
            \r
            \(dotted)
            """
    }

    /// Sends one message; returns the server's answer to it ("250 …").
    public static func send(_ text: String, with s: SMTPSettings) async throws -> String {
        let replies = Replies()
        let tls = try NIOSSLContext(configuration: {
            var c = TLSConfiguration.makeClientConfiguration()
            if let ca = s.caFile { c.trustRoots = .file(ca) }
            return c
        }())
        let hostname = s.host.contains(":") || s.host.allSatisfy({ $0.isNumber || $0 == "." }) ? nil : s.host
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(s.timeout))
            .channelInitializer { ch in
                ch.eventLoop.makeCompletedFuture {
                    if s.security == .tls { try ch.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: hostname)) }
                    try ch.pipeline.syncOperations.addHandler(ReplyReader(replies))
                }
            }
            .connect(host: s.host, port: s.port).get()
        defer { channel.close(promise: nil) }
        func expect(_ codes: ClosedRange<Int>, _ what: String) async throws -> String {
            let (code, text) = try await replies.next(timeout: s.timeout)
            guard codes.contains(code) else { throw Failure(description: "\(what): \(code) \(text)") }
            return "\(code) \(text)"
        }
        func say(_ line: String) async throws {
            try await channel.writeAndFlush(ByteBuffer(string: line + "\r\n")).get()
        }
        _ = try await expect(220...220, "greeting")
        let me = ProcessInfo.processInfo.hostName.isEmpty ? "vigil" : ProcessInfo.processInfo.hostName
        try await say("EHLO \(me)")
        var features = try await expect(250...250, "EHLO")
        if s.security == .starttls {
            guard features.uppercased().contains("STARTTLS") else { throw Failure(description: "the server offers no STARTTLS (tls = \"none\" sends in the clear)") }
            try await say("STARTTLS")
            _ = try await expect(220...220, "STARTTLS")
            // Made on the event loop, where the pipeline is: the TLS handler is not Sendable.
            try await channel.eventLoop.submit { try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: hostname), position: .first) }.get()
            try await say("EHLO \(me)")
            features = try await expect(250...250, "EHLO after STARTTLS")
        }
        if let user = s.username, let pass = s.password {
            let f = features.uppercased()
            if f.contains("PLAIN") {
                try await say("AUTH PLAIN " + Data("\0\(user)\0\(pass)".utf8).base64EncodedString())
                _ = try await expect(235...235, "AUTH PLAIN")
            } else if f.contains("LOGIN") {
                try await say("AUTH LOGIN")
                _ = try await expect(334...334, "AUTH LOGIN")
                try await say(Data(user.utf8).base64EncodedString())
                _ = try await expect(334...334, "AUTH LOGIN user")
                try await say(Data(pass.utf8).base64EncodedString())
                _ = try await expect(235...235, "AUTH LOGIN password")
            } else {
                throw Failure(description: "the server offers neither AUTH PLAIN nor AUTH LOGIN")
            }
        }
        try await say("MAIL FROM:<\(s.from)>")
        _ = try await expect(250...250, "MAIL FROM")
        for r in s.to {
            try await say("RCPT TO:<\(r)>")
            _ = try await expect(250...251, "RCPT TO \(r)")
        }
        try await say("DATA")
        _ = try await expect(354...354, "DATA")
        try await say(text + "\r\n.")
        let answer = try await expect(250...250, "message")
        try? await say("QUIT")
        return answer
    }

    /// Complete replies (the last line of a multi-line one says "250 " where the others say "250-").
    final class Replies: Sendable {
        let state = NIOLockedValueBox((ready: [(Int, String)](), waiting: CheckedContinuation<(Int, String), any Error>?.none, failure: (any Error)?.none))

        func deliver(_ r: (Int, String)) {
            let c: CheckedContinuation<(Int, String), any Error>? = state.withLockedValue { s in
                if let w = s.waiting { s.waiting = nil; return w }
                s.ready.append(r)
                return nil
            }
            c?.resume(returning: r)
        }
        func fail(_ e: any Error) {
            let c: CheckedContinuation<(Int, String), any Error>? = state.withLockedValue { s in
                s.failure = s.failure ?? e
                defer { s.waiting = nil }
                return s.waiting
            }
            c?.resume(throwing: e)
        }
        func next(timeout: Int64) async throws -> (Int, String) {
            let timer = Task { [weak self] in
                try await Task.sleep(for: .seconds(timeout))
                self?.fail(Failure(description: "no answer in \(timeout) s"))
            }
            defer { timer.cancel() }
            return try await withCheckedThrowingContinuation { c in
                let now: Result<(Int, String), any Error>? = state.withLockedValue { s in
                    if !s.ready.isEmpty { return .success(s.ready.removeFirst()) }
                    if let f = s.failure { return .failure(f) }
                    s.waiting = c
                    return nil
                }
                if let now { c.resume(with: now) }
            }
        }
    }

    final class ReplyReader: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        let replies: Replies
        var buffer = ByteBuffer()
        var lines: [String] = []
        init(_ r: Replies) { replies = r }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var b = unwrapInboundIn(data)
            buffer.writeBuffer(&b)
            while let nl = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
                let n = nl - buffer.readerIndex + 1
                guard let line = buffer.readString(length: n)?.trimmingCharacters(in: .whitespacesAndNewlines) else { break }
                // A reply longer than any server's is an error, not memory.
                guard line.count <= 1000, let code = Int(line.prefix(3)) else { replies.fail(Failure(description: "not an SMTP reply: \(line.prefix(80))")); return }
                lines.append(String(line.dropFirst(4)))
                if line.count == 3 || line.dropFirst(3).first == " " {
                    replies.deliver((code, lines.joined(separator: " ")))
                    lines = []
                }
            }
            if buffer.readableBytes > 64 * 1024 { replies.fail(Failure(description: "reply too long")) }
            buffer.discardReadBytes()
        }
        func channelInactive(context: ChannelHandlerContext) { replies.fail(Failure(description: "connection closed")) }
        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            replies.fail(error)
            context.close(promise: nil)
        }
    }
}
