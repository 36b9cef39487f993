public import BGPWire

/// Turns decoded records into elements, keeping the PEER_INDEX_TABLE that RIB records refer to.
public struct ElementExtractor {
    public private(set) var peerTable: PeerIndexTable?

    public init() {}

    /// Appends the record's elements to `out`; returns a problem to report, if any.
    public mutating func elements(of rec: MRTRecord, into out: inout [BGPElement]) -> String? {
        let t = rec.timestamp, us = rec.microseconds
        switch rec.body {
        case let .peerIndexTable(p):
            peerTable = p
        case let .rib(r):
            guard let table = peerTable else { return "RIB record before any PEER_INDEX_TABLE" }
            for e in r.entries {
                guard Int(e.peerIndex) < table.peers.count else {
                    return "peer index \(e.peerIndex) out of range (table has \(table.peers.count) peers)"
                }
                let peer = table.peers[Int(e.peerIndex)]
                out.append(route(.rib, t, us, peer.address, peer.asn, NLRI(r.prefix, pathID: e.pathID), e.attributes,
                                 fourOctet: true, family: r.family))
            }
        case let .tableDump(d):
            out.append(route(.rib, t, us, d.peerAddress, d.peerAS, NLRI(d.prefix), d.attributes,
                             fourOctet: d.fourOctetAS, family: d.prefix.isIPv6 ? .ipv6Unicast : .ipv4Unicast))
        case let .stateChange(s):
            out.append(BGPElement(kind: .state, timestamp: t, microseconds: us, peerAddress: s.peering.peerAddress,
                                  peerAS: s.peering.peerAS, oldState: s.oldState, newState: s.newState))
        case let .message(m):
            guard case let .update(u) = m.message else { return nil }
            let peer = m.peering
            for n in u.withdrawn {
                out.append(BGPElement(kind: .withdrawal, timestamp: t, microseconds: us, peerAddress: peer.peerAddress,
                                      peerAS: peer.peerAS, prefix: n.prefix, pathID: n.pathID))
            }
            let mpReach = u.attributes.mpReach
            if let mu = u.attributes.mpUnreach {
                for n in mu.withdrawn {
                    out.append(BGPElement(kind: .withdrawal, timestamp: t, microseconds: us, peerAddress: peer.peerAddress,
                                          peerAS: peer.peerAS, prefix: n.prefix, pathID: n.pathID))
                }
            }
            guard !u.nlri.isEmpty || !(mpReach?.nlri.isEmpty ?? true) else { return nil }
            // Worked out once per update: every prefix in it shares the path and attributes.
            let path = u.attributes.asPath(fourOctetSession: m.fourOctetAS)
            let nh4: IPAddress? = u.attributes.nextHop.map { .v4($0) }
            for n in u.nlri {
                out.append(BGPElement(kind: .announcement, timestamp: t, microseconds: us, peerAddress: peer.peerAddress,
                                      peerAS: peer.peerAS, prefix: n.prefix, pathID: n.pathID, attributes: u.attributes,
                                      asPath: path, nextHop: nh4 ?? mpReach?.nextHop.primary))
            }
            if let mr = mpReach {
                let nh = mr.family.isIPv6 ? mr.nextHop.primary : (nh4 ?? mr.nextHop.primary)
                for n in mr.nlri {
                    out.append(BGPElement(kind: .announcement, timestamp: t, microseconds: us, peerAddress: peer.peerAddress,
                                          peerAS: peer.peerAS, prefix: n.prefix, pathID: n.pathID, attributes: u.attributes,
                                          asPath: path, nextHop: nh))
                }
            }
        case .unknown:
            break
        }
        return nil
    }

    func route(_ kind: ElementKind, _ t: UInt32, _ us: UInt32?, _ peer: IPAddress, _ asn: UInt32, _ n: NLRI,
               _ attrs: [PathAttribute], fourOctet: Bool, family: AFISAFI) -> BGPElement {
        var nh: IPAddress? = nil
        if family == .ipv4Unicast || family == .ipv4Multicast, let v = attrs.nextHop { nh = .v4(v) }
        if nh == nil, let mp = attrs.mpReach { nh = mp.nextHop.primary }
        if nh == nil, let v = attrs.nextHop { nh = .v4(v) }
        return BGPElement(kind: kind, timestamp: t, microseconds: us, peerAddress: peer, peerAS: asn, prefix: n.prefix,
                          pathID: n.pathID, attributes: attrs, asPath: attrs.asPath(fourOctetSession: fourOctet), nextHop: nh)
    }
}

extension ElementExtractor {
    /// The elements of a live UPDATE (what a MESSAGE record of it would give).
    public static func elements(of update: Update, peerAddress: IPAddress, peerAS: UInt32, fourOctetAS: Bool,
                                timestamp: UInt32, microseconds: UInt32) -> [BGPElement] {
        let peering = BGP4MPPeering(peerAS: peerAS, localAS: 0, peerAddress: peerAddress, localAddress: peerAddress.isIPv6 ? .v6Zero : .v4Zero)
        var x = ElementExtractor()
        var out: [BGPElement] = []
        let rec = MRTRecord(timestamp: timestamp, microseconds: microseconds,
                            body: .message(BGP4MPMessage(peering: peering, fourOctetAS: fourOctetAS, addPath: false, message: .update(update))))
        _ = x.elements(of: rec, into: &out)
        return out
    }
}
