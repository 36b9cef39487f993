import BGPWire

/// Messages with every element the codecs know, shared by the tests.
enum Samples {
    static let v6a = IPAddress("2001:db8::1")!
    static let v6ll = IPAddress("fe80::1")!

    static let allAttributes4: [PathAttribute] = [
        .origin(.igp),
        .asPath(ASPath([ASPathSegment(.sequence, [65001, 4_200_000_001]), ASPathSegment(.set, [64512, 64513]),
                        ASPathSegment(.confedSequence, [65010]), ASPathSegment(.confedSet, [65011, 65012])])),
        .nextHop(0xC000_0201),
        .multiExitDisc(50),
        .localPref(200),
        .atomicAggregate,
        .aggregator(Aggregator(asn: 4_200_000_001, address: 0x0A00_0001)),
        .communities([0xFDE8_0001, 0xFFFF_FF01]),
        .originatorID(0x0A00_0002),
        .clusterList([0x0A00_0003, 0x0A00_0004]),
        .mpReach(MPReach(family: .ipv6Unicast, nextHop: .v6LinkLocal(v6a, v6ll),
                         nlri: [NLRI(Prefix("2001:db8:1::/48")!), NLRI(Prefix("2001:db8:2::/47")!)])),
        .mpUnreach(MPUnreach(family: .ipv6Unicast, withdrawn: [NLRI(Prefix("2001:db8:3::/48")!)])),
        .extendedCommunities([0x0002_FDE8_0000_0064]),
        .largeCommunities([LargeCommunity(4_200_000_001, 1, 2)]),
        .unknown(RawAttribute(flags: 0xC0, type: AttributeType(99), value: [1, 2, 3])),
    ]

    static let update4 = Update(
        withdrawn: [NLRI(Prefix("10.1.0.0/16")!), NLRI(Prefix("0.0.0.0/0")!)],
        attributes: allAttributes4,
        nlri: [NLRI(Prefix("192.0.2.0/24")!), NLRI(Prefix("198.51.100.128/25")!), NLRI(Prefix("203.0.113.7/32")!)])

    /// A 2-octet session: 4-octet ASes travel in AS4_PATH / AS4_AGGREGATOR.
    static let update2 = Update(
        attributes: [
            .origin(.egp),
            .asPath(ASPath(sequence: [65001, 23456, 23456])),
            .nextHop(0xC000_0201),
            .aggregator(Aggregator(asn: 23456, address: 0x0A00_0001)),
            .as4Path(ASPath(sequence: [4_200_000_001, 4_200_000_002])),
            .as4Aggregator(Aggregator(asn: 4_200_000_009, address: 0x0A00_0001)),
        ],
        nlri: [NLRI(Prefix("192.0.2.0/24")!)])

    static let open = Open(myAS: 23456, holdTime: 90, bgpIdentifier: 0x0A00_0001, capabilities: [
        .multiprotocol(.ipv4Unicast), .multiprotocol(.ipv6Unicast), .routeRefresh, .extendedMessage,
        .gracefulRestart(flags: 8, time: 120, families: [.init(family: .ipv4Unicast, flags: 0x80)]),
        .fourOctetAS(4_200_000_001),
        .addPath([.init(family: .ipv4Unicast, sendReceive: 1), .init(family: .ipv6Unicast, sendReceive: 3)]),
        .unknown(code: 73, value: Array("router1".utf8)),
    ])

    static let messages: [(String, BGPMessage, SessionOptions)] = [
        ("open", .open(open), .fourOctet),
        ("update 4-octet", .update(update4), .fourOctet),
        ("update 2-octet", .update(update2), .twoOctet),
        ("update add-path", .update(Update(withdrawn: [NLRI(Prefix("10.0.0.0/8")!, pathID: 7)],
                                           attributes: [.origin(.igp), .asPath(ASPath(sequence: [1])), .nextHop(1),
                                                        .mpReach(MPReach(family: .ipv6Unicast, nextHop: .v6(v6a),
                                                                         nlri: [NLRI(Prefix("2001:db8::/32")!, pathID: 9)]))],
                                           nlri: [NLRI(Prefix("10.2.0.0/16")!, pathID: 8)])),
         SessionOptions(addPath: [.ipv4Unicast, .ipv6Unicast])),
        ("end-of-rib", .update(Update()), .fourOctet),
        ("notification", .notification(Notification(code: 6, subcode: 2, data: [0xAA])), .fourOctet),
        ("keepalive", .keepalive, .fourOctet),
        ("route-refresh", .routeRefresh(RouteRefresh(family: .ipv6Unicast, subtype: 1)), .fourOctet),
        ("unknown type", .unknown(type: 42, body: [9, 9]), .fourOctet),
    ]
}
