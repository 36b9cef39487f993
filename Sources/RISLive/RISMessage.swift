import Foundation

/// A message from RIS Live (`{"type": …, "data": …}`), as far as Vigil reads it. Every field is
/// optional: RIPE has changed the stream's details over the years (`host` as `rrc21` and as
/// `rrc21.ripe.net`, `origin` in either case, `STATE` beside `RIS_PEER_STATE`), and a field that
/// is missing or of another shape makes one message unusable, never the stream.
struct RISEnvelope: Decodable {
    var type: String
    var data: RISData?
}

struct RISData: Decodable {
    // ris_message
    var timestamp: Double?
    var peer: String?
    var peerASN: String?
    var host: String?
    var type: String?
    var path: [PathItem]?
    var origin: String?
    var community: [[UInt32]]?
    var announcements: [Announcement]?
    var withdrawals: [String]?
    var raw: String?
    var state: String?
    // ris_error
    var message: String?

    enum CodingKeys: String, CodingKey {
        case timestamp, peer, peerASN = "peer_asn", host, type, path, origin, community, announcements, withdrawals, raw, state, message
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        timestamp = try? c.decodeIfPresent(Double.self, forKey: .timestamp)
        peer = try? c.decodeIfPresent(String.self, forKey: .peer)
        // A string in the stream; a number is taken too.
        peerASN = (try? c.decodeIfPresent(String.self, forKey: .peerASN)) ?? (try? c.decodeIfPresent(UInt32.self, forKey: .peerASN)).flatMap { $0.map(String.init) }
        host = try? c.decodeIfPresent(String.self, forKey: .host)
        type = try? c.decodeIfPresent(String.self, forKey: .type)
        path = try? c.decodeIfPresent([PathItem].self, forKey: .path)
        origin = try? c.decodeIfPresent(String.self, forKey: .origin)
        community = try? c.decodeIfPresent([[UInt32]].self, forKey: .community)
        announcements = try? c.decodeIfPresent([Announcement].self, forKey: .announcements)
        withdrawals = try? c.decodeIfPresent([String].self, forKey: .withdrawals)
        raw = try? c.decodeIfPresent(String.self, forKey: .raw)
        state = try? c.decodeIfPresent(String.self, forKey: .state)
        message = try? c.decodeIfPresent(String.self, forKey: .message)
    }

    /// An AS path element: an AS, or an AS_SET written as an array.
    enum PathItem: Decodable, Equatable {
        case asn(UInt32)
        case set([UInt32])
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let n = try? c.decode(UInt32.self) { self = .asn(n) } else { self = .set(try c.decode([UInt32].self)) }
        }
    }

    struct Announcement: Decodable {
        var nextHop: String?
        var prefixes: [String]
        enum CodingKeys: String, CodingKey { case nextHop = "next_hop", prefixes }
    }
}
