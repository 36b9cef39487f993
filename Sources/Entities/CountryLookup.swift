public import BGPWire
import Routing

/// Address → country, by longest match over the delegated blocks.
public struct CountryLookup {
    var v4 = PrefixTrie<UInt32>(ipv6: false)
    var v6 = PrefixTrie<UInt32>(ipv6: true)
    public private(set) var countries: [String] = []
    /// Country → index in `countries` (32 bits: blocks read back from a store are not limited to two letters).
    var codes: [String: UInt32] = [:]
    public let map: EntityMap
    /// When given, addresses are placed by the MaxMind database first, by RIR delegation second.
    public let mmdb: MMDB?

    public init(_ map: EntityMap, mmdb: MMDB? = nil) {
        self.mmdb = mmdb
        var m = map
        m.finish()
        self.map = m
        for (p, cc) in m.v4Blocks { v4.insert(p, code(cc)) }
        for (p, cc) in m.v6Blocks { v6.insert(p, code(cc)) }
    }

    mutating func code(_ cc: String) -> UInt32 {
        if let c = codes[cc] { return c }
        countries.append(cc)
        codes[cc] = UInt32(countries.count - 1)
        return UInt32(countries.count - 1)
    }

    /// The country whose delegation holds the prefix's first address.
    public func country(of prefix: Prefix) -> String? {
        if let db = mmdb, let c = db.country(prefix.address) { return c }
        let hit = prefix.isIPv6 ? v6.longestMatch(prefix.address) : v4.longestMatch(prefix.address)
        return hit.map { countries[Int($0.1)] }
    }

    public func country(ofASN asn: UInt32) -> String? { map.country(ofASN: asn) }
}
