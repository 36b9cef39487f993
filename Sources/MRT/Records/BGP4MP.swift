public import BGPWire

/// The common part of BGP4MP records: who the peer is and who we are.
/// The peer's fields come first in every subtype, LOCAL ones included.
public struct BGP4MPPeering: Hashable, Sendable {
    public var peerAS: UInt32
    public var localAS: UInt32
    public var interfaceIndex: UInt16
    public var peerAddress: IPAddress
    public var localAddress: IPAddress

    public init(peerAS: UInt32, localAS: UInt32, interfaceIndex: UInt16 = 0, peerAddress: IPAddress, localAddress: IPAddress) {
        self.peerAS = peerAS
        self.localAS = localAS
        self.interfaceIndex = interfaceIndex
        self.peerAddress = peerAddress
        self.localAddress = localAddress
    }

    static func decode(_ r: inout ByteReader, fourOctetAS: Bool) throws(WireError) -> BGP4MPPeering {
        let peerAS = fourOctetAS ? try r.readU32("peer AS") : UInt32(try r.readU16("peer AS"))
        let localAS = fourOctetAS ? try r.readU32("local AS") : UInt32(try r.readU16("local AS"))
        let ifIndex = try r.readU16("interface index")
        let at = r.position
        let afi = try r.readU16("address family")
        guard afi == 1 || afi == 2 else { throw WireError(invalid: "address family \(afi)", field: "BGP4MP", at: at) }
        let peer = try IPAddress.read(&r, v6: afi == 2)
        let local = try IPAddress.read(&r, v6: afi == 2)
        return BGP4MPPeering(peerAS: peerAS, localAS: localAS, interfaceIndex: ifIndex, peerAddress: peer, localAddress: local)
    }

    func encode(_ w: inout ByteWriter, fourOctetAS: Bool) {
        if fourOctetAS { w.u32(peerAS); w.u32(localAS) } else {
            w.u16(UInt16(truncatingIfNeeded: peerAS)); w.u16(UInt16(truncatingIfNeeded: localAS))
        }
        w.u16(interfaceIndex)
        w.u16(peerAddress.isIPv6 ? 2 : 1)
        peerAddress.write(&w)
        localAddress.write(&w)
    }
}

/// BGP4MP STATE_CHANGE(_AS4): a session moving between FSM states (1 Idle … 6 Established).
public struct StateChange: Hashable, Sendable {
    public var peering: BGP4MPPeering
    public var fourOctetAS: Bool
    public var oldState: UInt16
    public var newState: UInt16

    public init(peering: BGP4MPPeering, fourOctetAS: Bool = true, oldState: UInt16, newState: UInt16) {
        self.peering = peering
        self.fourOctetAS = fourOctetAS
        self.oldState = oldState
        self.newState = newState
    }

    public static let established: UInt16 = 6

    static func decode(_ r: inout ByteReader, fourOctetAS: Bool) throws(WireError) -> StateChange {
        let p = try BGP4MPPeering.decode(&r, fourOctetAS: fourOctetAS)
        return StateChange(peering: p, fourOctetAS: fourOctetAS, oldState: try r.readU16("old state"), newState: try r.readU16("new state"))
    }

    func encode(_ w: inout ByteWriter) {
        peering.encode(&w, fourOctetAS: fourOctetAS)
        w.u16(oldState); w.u16(newState)
    }
}

/// BGP4MP MESSAGE and variants: one whole BGP message as received (or sent,
/// for LOCAL) on a session. The subtype says how to decode it.
public struct BGP4MPMessage: Hashable, Sendable {
    public var peering: BGP4MPPeering
    public var fourOctetAS: Bool
    /// Sent by the collector rather than received (the LOCAL subtypes).
    public var local: Bool
    /// RFC 8050: NLRI carry path identifiers.
    public var addPath: Bool
    public var message: BGPMessage

    public init(peering: BGP4MPPeering, fourOctetAS: Bool = true, local: Bool = false, addPath: Bool = false, message: BGPMessage) {
        self.peering = peering
        self.fourOctetAS = fourOctetAS
        self.local = local
        self.addPath = addPath
        self.message = message
    }

    /// The session options a subtype implies.
    public static func options(fourOctetAS: Bool, addPath: Bool) -> SessionOptions {
        SessionOptions(fourOctetAS: fourOctetAS,
                       addPath: addPath ? [.ipv4Unicast, .ipv4Multicast, .ipv6Unicast, .ipv6Multicast] : [],
                       extendedMessages: true)
    }

    public var options: SessionOptions { BGP4MPMessage.options(fourOctetAS: fourOctetAS, addPath: addPath) }

    var subtype: UInt16 {
        switch (fourOctetAS, local, addPath) {
        case (false, false, false): 1
        case (true, false, false): 4
        case (false, true, false): 6
        case (true, true, false): 7
        case (false, false, true): 8
        case (true, false, true): 9
        case (false, true, true): 10
        case (true, true, true): 11
        }
    }

    static func decode(_ r: inout ByteReader, subtype: UInt16) throws(WireError) -> BGP4MPMessage {
        let four = [4, 7, 9, 11].contains(subtype)
        let local = [6, 7, 10, 11].contains(subtype)
        let addPath = subtype >= 8
        let p = try BGP4MPPeering.decode(&r, fourOctetAS: four)
        let opts = options(fourOctetAS: four, addPath: addPath)
        let m = try BGPMessage.decode(&r, options: opts)
        return BGP4MPMessage(peering: p, fourOctetAS: four, local: local, addPath: addPath, message: m)
    }

    func encode(_ w: inout ByteWriter) {
        peering.encode(&w, fourOctetAS: fourOctetAS)
        w.append(message.encode(options: options))
    }
}

extension BGP4MPMessage {
    /// A BGP4MP_ET MESSAGE record around a message's bytes exactly as received: how a
    /// collector archives (re-encoding could change what the peer sent).
    public static func rawRecord(timestamp: UInt32, microseconds: UInt32, peering: BGP4MPPeering, fourOctetAS: Bool,
                                 addPath: Bool, messageBytes: [UInt8]) -> [UInt8] {
        var body = ByteWriter(capacity: messageBytes.count + 48)
        peering.encode(&body, fourOctetAS: fourOctetAS)
        body.append(messageBytes)
        let subtype: UInt16 = addPath ? (fourOctetAS ? 9 : 8) : (fourOctetAS ? 4 : 1)
        var w = ByteWriter(capacity: body.count + 16)
        w.u32(timestamp); w.u16(MRTType.bgp4mpET.rawValue); w.u16(subtype)
        w.u32(UInt32(body.count + 4)); w.u32(microseconds)
        w.append(body.bytes)
        return w.bytes
    }
}
