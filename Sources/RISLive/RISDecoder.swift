import Foundation
public import BGPWire
import MRT

/// What one RIS Live message says.
public enum RISEvent: Sendable, Equatable {
    /// Routes or a session state from one peer of one collector (`rrc21`); with `RISDecoder.keepRaw`,
    /// the BGP message the routes were decoded from, to archive.
    case elements(collector: String, peer: IPAddress, peerAS: UInt32, [BGPElement], raw: RawBGP?)
    case pong
    case subscribed
    /// `ris_error`: the server's complaint (a slow consumer is disconnected after one).
    case error(String)
    /// A message Vigil has no use for (OPEN, KEEPALIVE, NOTIFICATION, the collector list), by its type.
    case other(String)
}

/// A BGP message as the peer sent it, when it was: what a collector archives (BGP4MP_ET).
public struct RawBGP: Sendable, Equatable {
    public var bytes: [UInt8]
    /// Whether the session's AS paths are 4-octet (MESSAGE_AS4) or 2-octet (MESSAGE).
    public var fourOctet: Bool
    public var timestamp: UInt32
    public var microseconds: UInt32
}

/// A message that cannot be used, and why; the stream goes on.
public struct RISProblem: Error, Equatable, CustomStringConvertible {
    public var description: String
    init(_ d: String) { description = d }
}

/// Reads RIS Live messages into Vigil's elements. With `includeRaw` the stream carries each BGP
/// message as the peer sent it (hex, marker included): that is decoded by BGPWire, exactly as a
/// collector's archive would be; the JSON fields are the fallback. RIS peers speak 4-octet or
/// 2-octet AS paths and the stream does not say which: 4-octet is tried first, and the JSON path
/// decides between the two when both parse.
public struct RISDecoder {
    public struct Counts: Sendable, Equatable {
        /// Messages whose routes came from `raw`, from JSON, and those decoded as 2-octet sessions.
        public var raw = 0, json = 0, twoOctet = 0
        /// `raw` present but unusable (JSON used instead).
        public var rawFailures = 0
    }
    public private(set) var counts = Counts()
    /// Hand on each UPDATE's raw bytes with its elements (a copy a message: only when archiving).
    public var keepRaw = false
    private var bytes: [UInt8] = []
    private var rawKept: RawBGP?
    private let json = JSONDecoder()

    public init() { bytes.reserveCapacity(4096) }

    public mutating func decode(_ text: String) throws(RISProblem) -> RISEvent {
        let envelope: RISEnvelope
        do { envelope = try json.decode(RISEnvelope.self, from: Data(text.utf8)) } catch {
            throw RISProblem("not a RIS Live message: \(Self.short(error))")
        }
        switch envelope.type {
        case "ris_message": break
        case "pong": return .pong
        case "ris_subscribe_ok": return .subscribed
        case "ris_error": return .error(envelope.data?.message ?? "(no message)")
        default: return .other(envelope.type)
        }
        guard let d = envelope.data else { throw RISProblem("ris_message without data") }
        guard let host = d.host, !host.isEmpty else { throw RISProblem("ris_message without host") }
        guard let peerText = d.peer, let peer = IPAddress(peerText) else { throw RISProblem("peer '\(d.peer ?? "")' is not an address") }
        guard let asText = d.peerASN, let peerAS = UInt32(asText) else { throw RISProblem("peer_asn '\(d.peerASN ?? "")' is not an AS number") }
        guard let ts = d.timestamp, ts.isFinite, ts >= 0, ts < 4_294_967_296 else { throw RISProblem("timestamp missing or out of range") }
        let t = UInt32(ts), us = UInt32(min(999_999, max(0, ((ts - Double(t)) * 1_000_000).rounded())))
        let collector = Self.collector(host)
        switch d.type ?? "" {
        case "UPDATE":
            rawKept = nil
            var elements = try update(d, peer, peerAS, t, us)
            // Each collector's peers are peers of their own (the array is this call's: tagged in place).
            for i in elements.indices { elements[i].collector = collector }
            return .elements(collector: collector, peer: peer, peerAS: peerAS, elements, raw: rawKept)
        case "RIS_PEER_STATE", "STATE":
            // "connected" is the session up; "down" ends it and its routes. Anything else says nothing certain.
            switch (d.state ?? "").lowercased() {
            case "connected", "up", "established":
                return .elements(collector: collector, peer: peer, peerAS: peerAS,
                                 [BGPElement(kind: .state, timestamp: t, microseconds: us, peerAddress: peer, peerAS: peerAS, oldState: 5, newState: 6,
                                             collector: collector)], raw: nil)
            case "down":
                return .elements(collector: collector, peer: peer, peerAS: peerAS,
                                 [BGPElement(kind: .state, timestamp: t, microseconds: us, peerAddress: peer, peerAS: peerAS, oldState: 6, newState: 1,
                                             collector: collector)], raw: nil)
            default:
                return .other("RIS_PEER_STATE \(d.state ?? "")")
            }
        case let other:
            return .other(other)
        }
    }

    /// `rrc21.ripe.net` and `rrc21` are one collector.
    static func collector(_ host: String) -> String {
        let h = host.lowercased()
        return h.hasSuffix(".ripe.net") ? String(h.dropLast(".ripe.net".count)) : h
    }

    private mutating func update(_ d: RISData, _ peer: IPAddress, _ peerAS: UInt32, _ t: UInt32, _ us: UInt32) throws(RISProblem) -> [BGPElement] {
        if let raw = d.raw {
            if let out = fromRaw(raw, jsonPath: d.path, peer, peerAS, t, us) {
                counts.raw += 1
                return out
            }
            counts.rawFailures += 1
        }
        counts.json += 1
        return try Self.fromJSON(d, peer, peerAS, t, us)
    }

    /// The elements of the raw BGP message, or nil if it is not a usable UPDATE.
    private mutating func fromRaw(_ hex: String, jsonPath: [RISData.PathItem]?, _ peer: IPAddress, _ peerAS: UInt32, _ t: UInt32, _ us: UInt32) -> [BGPElement]? {
        guard Self.unhex(hex, into: &bytes) else { return nil }
        let expected = jsonPath.map(Self.flat)
        var chosen: (Update, Bool)?
        for fourOctet in [true, false] {
            let decoded: BGPMessage? = bytes.withUnsafeBytes { buf in
                var r = ByteReader(buf)
                return try? BGPMessage.decode(&r, options: fourOctet ? .fourOctet : .twoOctet)
            }
            guard case let .update(u)? = decoded else { continue }
            // A path that parses under the wrong width is garbage: the JSON path tells.
            if let expected, !expected.isEmpty {
                let got = u.attributes.asPath(fourOctetSession: fourOctet).map { $0.segments.flatMap(\.asns) } ?? []
                guard got == expected else { continue }
            }
            chosen = (u, fourOctet)
            break
        }
        guard let (u, fourOctet) = chosen else { return nil }
        if !fourOctet { counts.twoOctet += 1 }
        if keepRaw { rawKept = RawBGP(bytes: bytes, fourOctet: fourOctet, timestamp: t, microseconds: us) }
        switch u.validate() {
        case let .accept(v), let .attributeDiscard(v, _):
            return ElementExtractor.elements(of: v, peerAddress: peer, peerAS: peerAS, fourOctetAS: fourOctet, timestamp: t, microseconds: us)
        case let .treatAsWithdraw(withdrawn, _):
            return withdrawn.map { BGPElement(kind: .withdrawal, timestamp: t, microseconds: us, peerAddress: peer, peerAS: peerAS, prefix: $0.prefix, pathID: $0.pathID) }
        case .sessionReset:
            return nil
        }
    }

    static func flat(_ path: [RISData.PathItem]) -> [UInt32] {
        path.flatMap { item -> [UInt32] in
            switch item {
            case let .asn(a): [a]
            case let .set(s): s
            }
        }
    }

    /// The routes from the JSON fields: path (AS sets as arrays), origin, communities, next hops and prefixes.
    static func fromJSON(_ d: RISData, _ peer: IPAddress, _ peerAS: UInt32, _ t: UInt32, _ us: UInt32) throws(RISProblem) -> [BGPElement] {
        var out: [BGPElement] = []
        for text in d.withdrawals ?? [] {
            guard let p = Prefix(text) else { throw RISProblem("withdrawn prefix '\(text)' is not a prefix") }
            out.append(BGPElement(kind: .withdrawal, timestamp: t, microseconds: us, peerAddress: peer, peerAS: peerAS, prefix: p))
        }
        guard let announcements = d.announcements, !announcements.isEmpty else { return out }
        var segments: [ASPathSegment] = []
        for item in d.path ?? [] {
            switch item {
            case let .asn(a):
                if let last = segments.last, last.kind == .sequence { segments[segments.count - 1].asns.append(a) } else { segments.append(ASPathSegment(.sequence, [a])) }
            case let .set(s):
                segments.append(ASPathSegment(.set, s))
            }
        }
        let path = ASPath(segments)
        var attributes: [PathAttribute] = [.asPath(path)]
        switch (d.origin ?? "").lowercased() {
        case "igp": attributes.insert(.origin(.igp), at: 0)
        case "egp": attributes.insert(.origin(.egp), at: 0)
        case "incomplete": attributes.insert(.origin(.incomplete), at: 0)
        default: break
        }
        if let c = d.community, !c.isEmpty {
            attributes.append(.communities(c.compactMap { $0.count == 2 && $0[0] <= 0xFFFF && $0[1] <= 0xFFFF ? $0[0] << 16 | $0[1] : nil }))
        }
        var seen = Set<Prefix>()
        for a in announcements {
            // An IPv6 global and link-local next hop come as two entries or as "a,b": the first address is the one used.
            let hop = a.nextHop.flatMap { $0.split(separator: ",").first }.flatMap { IPAddress($0.trimmingCharacters(in: .whitespaces)) }
            for text in a.prefixes where text != "eor" {
                guard let p = Prefix(text) else { throw RISProblem("announced prefix '\(text)' is not a prefix") }
                guard seen.insert(p).inserted else { continue }
                out.append(BGPElement(kind: .announcement, timestamp: t, microseconds: us, peerAddress: peer, peerAS: peerAS, prefix: p,
                                      attributes: attributes, asPath: path, nextHop: hop))
            }
        }
        return out
    }

    /// Hex digits (either case) into `out`; false if any is not one or their count is odd.
    static func unhex(_ hex: String, into out: inout [UInt8]) -> Bool {
        out.removeAll(keepingCapacity: true)
        var high: UInt8? = nil
        for c in hex.utf8 {
            let v: UInt8
            switch c {
            case 0x30...0x39: v = c - 0x30
            case 0x41...0x46: v = c - 0x41 + 10
            case 0x61...0x66: v = c - 0x61 + 10
            default: return false
            }
            if let h = high { out.append(h << 4 | v); high = nil } else { high = v }
        }
        return high == nil && !out.isEmpty
    }

    static func short(_ error: any Error) -> String {
        if case let DecodingError.dataCorrupted(c) = error { return c.debugDescription }
        if case let DecodingError.keyNotFound(k, _) = error { return "no '\(k.stringValue)'" }
        if case let DecodingError.typeMismatch(_, c) = error { return "\(c.codingPath.map(\.stringValue).joined(separator: ".")): \(c.debugDescription)" }
        return "\(error)"
    }
}
