public import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Syslog messages in the format of RFC 5424, sent over UDP (one datagram a message, RFC 5426),
/// TCP (octet-counted frames, RFC 6587) or a Unix datagram socket (`/dev/log`).
public enum Syslog {
    /// `<PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD] MSG`: facility daemon; severity crit, warning or
    /// notice (a resolution); the notice's key, state and entity as structured data.
    public static func message(_ n: Notice, host: String, at t: Date = Date()) -> String {
        let severity = n.state == .resolved || n.state == .test ? 5 : n.level == "critical" ? 2 : 4
        let pri = 3 * 8 + severity
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'"
        func param(_ s: String) -> String {
            var o = ""
            for c in s { if c == "\"" || c == "\\" || c == "]" { o.append("\\") }; o.append(c) }
            return o
        }
        let sd = "[vigil@32473 key=\"\(param(n.key))\" id=\"\(param(n.id))\" state=\"\(n.state.rawValue)\" entity=\"\(param(n.entity))\" "
            + "kind=\"\(n.kind)\" cause=\"\(n.cause)\" level=\"\(n.level)\"\(n.url.map { " url=\"\(param($0))\"" } ?? "")]"
        let name = host.isEmpty ? "-" : String(host.prefix(255).map { $0 == " " ? "_" : $0 })
        // MSGID is the state; the message is the sentence, as UTF-8 with a BOM as RFC 5424 asks.
        return "<\(pri)>1 \(f.string(from: t)) \(name) vigil \(getpid()) \(n.state.rawValue) \(sd) \u{FEFF}\(n.summary)"
    }

    /// Sends `text` to `url` (udp://HOST:PORT, tcp://HOST:PORT, unix:///PATH); throws what went wrong.
    public static func send(_ text: String, to url: String, timeout: Int64) async throws {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
            DispatchQueue.global().async {
                do { try sendNow(text, to: url, timeout: timeout); c.resume() } catch { c.resume(throwing: error) }
            }
        }
    }

    struct Failure: Error, CustomStringConvertible { let description: String }

    static func sendNow(_ text: String, to url: String, timeout: Int64) throws {
        guard let u = URLComponents(string: url), let scheme = u.scheme else { throw Failure(description: "\(url): not a syslog address") }
        let payload = Array(text.utf8)
        if scheme == "unix" {
            let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
            guard fd >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
            defer { close(fd) }
            var a = sockaddr_un()
            a.sun_family = sa_family_t(AF_UNIX)
            let path = Array(u.path.utf8)
            guard path.count < MemoryLayout.size(ofValue: a.sun_path) else { throw Failure(description: "\(u.path): path too long") }
            withUnsafeMutableBytes(of: &a.sun_path) { for (i, b) in path.enumerated() { $0[i] = b } }
            let n = withUnsafePointer(to: &a) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, payload, payload.count, 0, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            guard n == payload.count else { throw Failure(description: "\(u.path): \(String(cString: strerror(errno)))") }
            return
        }
        guard scheme == "udp" || scheme == "tcp", let host = u.host, let port = u.port else {
            throw Failure(description: "\(url): give udp://HOST:PORT, tcp://HOST:PORT or unix:///PATH")
        }
        var hints = addrinfo()
        hints.ai_socktype = scheme == "udp" ? Int32(SOCK_DGRAM.rawValue) : Int32(SOCK_STREAM.rawValue)
        var res: UnsafeMutablePointer<addrinfo>?
        let h = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        guard getaddrinfo(h, "\(port)", &hints, &res) == 0, let ai = res else { throw Failure(description: "\(host): cannot resolve") }
        defer { freeaddrinfo(res) }
        let fd = socket(ai.pointee.ai_family, ai.pointee.ai_socktype, 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        guard connect(fd, ai.pointee.ai_addr, ai.pointee.ai_addrlen) == 0 else {
            throw Failure(description: "\(host):\(port): \(String(cString: strerror(errno)))")
        }
        // TCP frames are octet-counted: "LENGTH SP MESSAGE".
        let bytes = scheme == "tcp" ? Array("\(payload.count) ".utf8) + payload : payload
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failure(description: "\(host):\(port): \(String(cString: strerror(errno)))") }
            sent += n
        }
    }
}
