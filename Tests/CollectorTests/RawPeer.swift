import Foundation
import XCTest
import BGPWire
import MRT
@testable import Collector
import Glibc

// Hand-made BGP messages and a speaker on a raw TCP socket, for the malformed-input tests.

enum Raw {
    static func message(type: UInt8, _ body: [UInt8]) -> [UInt8] {
        let n = 19 + body.count
        return [UInt8](repeating: 0xFF, count: 16) + [UInt8(n >> 8), UInt8(n & 0xFF), type] + body
    }
    static let keepalive = message(type: 4, [])

    static func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }
    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }

    /// OPEN with IPv4 and IPv6 unicast and 4-octet AS; no extended messages.
    static func open(asn: UInt32, id: UInt32, hold: UInt16) -> [UInt8] {
        let caps: [UInt8] = [1, 4, 0, 1, 0, 1] + [1, 4, 0, 2, 0, 1] + [65, 4] + be32(asn)
        let params: [UInt8] = [2, UInt8(caps.count)] + caps
        let myAS: UInt16 = asn > 0xFFFF ? 23456 : UInt16(asn)
        return message(type: 1, [4] + be16(myAS) + be16(hold) + be32(id) + [UInt8(params.count)] + params)
    }

    static func origin(_ v: UInt8 = 0) -> [UInt8] { [0x40, 1, 1, v] }
    static func asPath(_ asns: [UInt32]) -> [UInt8] {
        let seg: [UInt8] = [2, UInt8(asns.count)] + asns.flatMap(be32)
        return [0x40, 2, UInt8(seg.count)] + seg
    }
    static func nextHop(_ a: String) -> [UInt8] { [0x40, 3, 4] + be32(UInt32(bigEndian: inet_addr(a))) }
    static func prefix4(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> [UInt8] { [24, a, b, c] }

    /// An UPDATE; without `attributes`, ORIGIN IGP, AS_PATH 65001 and NEXT_HOP 127.0.0.1.
    static func update(withdrawn: [UInt8] = [], attributes: [UInt8]? = nil, nlri: [UInt8]) -> [UInt8] {
        let attrs = attributes ?? (origin() + asPath([65001]) + nextHop("127.0.0.1"))
        return message(type: 2, be16(UInt16(withdrawn.count)) + withdrawn + be16(UInt16(attrs.count)) + attrs + nlri)
    }
}

/// A BGP speaker made by hand over a blocking POSIX TCP socket, bound to its own loopback address.
final class RawPeer {
    enum Read: Equatable {
        case message(type: UInt8, body: [UInt8])
        case closed
        case timeout
        case error(Int32)

        var type: UInt8? { if case let .message(t, _) = self { t } else { nil } }
        var notification: BGPWire.Notification? {
            guard case let .message(3, b) = self, b.count >= 2 else { return nil }
            return BGPWire.Notification(code: b[0], subcode: b[1], data: Array(b[2...]))
        }
    }

    let fd: Int32
    var buffer: [UInt8] = []

    init(source: String, port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        func sin(_ a: String, _ p: Int) -> sockaddr_in {
            var s = sockaddr_in()
            s.sin_family = sa_family_t(AF_INET)
            s.sin_port = in_port_t(UInt16(p).bigEndian)
            s.sin_addr.s_addr = inet_addr(a)
            return s
        }
        var src = sin(source, 0), dst = sin("127.0.0.1", port)
        let size = socklen_t(MemoryLayout<sockaddr_in>.size)
        let b = withUnsafePointer(to: &src) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, size) } }
        let c = b == 0 ? withUnsafePointer(to: &dst) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, size) } } : -1
        guard b == 0, c == 0 else {
            let e = errno
            Glibc.close(fd)
            throw POSIXError(.init(rawValue: e) ?? .EIO)
        }
    }

    var closed = false
    func close() {
        guard !closed else { return }
        closed = true
        Glibc.close(fd)
    }
    deinit { close() }

    func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
            sent += n
        }
    }

    /// The next whole message, or what happened instead within `timeout` seconds.
    func readMessage(timeout: Double) -> Read {
        let until = Date().addingTimeInterval(timeout)
        while true {
            if buffer.count >= 19 {
                let n = Int(buffer[16]) << 8 | Int(buffer[17])
                if n >= 19, buffer.count >= n {
                    let m = Read.message(type: buffer[18], body: Array(buffer[19..<n]))
                    buffer.removeFirst(n)
                    return m
                }
            }
            let left = until.timeIntervalSinceNow
            guard left > 0 else { return .timeout }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let r = poll(&p, 1, Int32(left * 1000) + 1)
            if r == 0 { return .timeout }
            if r < 0 { if errno == EINTR { continue }; return .error(errno) }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { return .closed }
            if n < 0 { if errno == EINTR { continue }; return .error(errno) }
            buffer += chunk[0..<n]
        }
    }

    /// The NOTIFICATION the collector sends, skipping its KEEPALIVEs; nil if none within 10 s.
    func expectNotification(file: StaticString = #filePath, line: UInt = #line) -> BGPWire.Notification? {
        let until = Date().addingTimeInterval(10)
        while Date() < until {
            let m = readMessage(timeout: until.timeIntervalSinceNow)
            if let n = m.notification { return n }
            if m.type == 4 { continue }
            XCTFail("expected a NOTIFICATION, got \(m)", file: file, line: line)
            return nil
        }
        XCTFail("no NOTIFICATION within 10 s", file: file, line: line)
        return nil
    }

    /// True when the collector closes the connection within 10 s (end of stream or reset).
    func expectClosed() -> Bool {
        let until = Date().addingTimeInterval(10)
        while Date() < until {
            switch readMessage(timeout: until.timeIntervalSinceNow) {
            case .closed, .error: return true
            case .timeout: return false
            case .message: continue
            }
        }
        return false
    }
}
