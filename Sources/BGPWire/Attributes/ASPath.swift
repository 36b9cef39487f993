/// AS_PATH and AS4_PATH (RFC 4271 §4.3, RFC 5065 confederation segments, RFC 6793).
///
///     +-----------+-----------+---------------------------+
///     | seg. type | seg. len  | len × AS number (2 or 4)  |
///     +-----------+-----------+---------------------------+
public struct ASPathSegment: Hashable, Sendable {
    /// Segment type as an open code point: unknown types survive a round trip.
    public struct Kind: RawRepresentable, Hashable, Sendable {
        public var rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let set = Kind(rawValue: 1)
        public static let sequence = Kind(rawValue: 2)
        public static let confedSequence = Kind(rawValue: 3)
        public static let confedSet = Kind(rawValue: 4)
    }

    public var kind: Kind
    public var asns: [UInt32]

    public init(_ kind: Kind, _ asns: [UInt32]) {
        self.kind = kind
        self.asns = asns
    }

    /// Path length contribution (RFC 4271 §9.1.2.2): a set counts as one.
    public var pathLength: Int {
        switch kind {
        case .set, .confedSet: return asns.isEmpty ? 0 : 1
        default: return asns.count
        }
    }
}

public struct ASPath: Hashable, Sendable, CustomStringConvertible {
    public var segments: [ASPathSegment]

    public init(_ segments: [ASPathSegment]) { self.segments = segments }
    public init(sequence: [UInt32]) { self.segments = sequence.isEmpty ? [] : [ASPathSegment(.sequence, sequence)] }

    public static func decode(_ r: inout ByteReader, asnWidth: Int) throws(WireError) -> ASPath {
        var segs: [ASPathSegment] = []
        while !r.isAtEnd {
            let at = r.position
            let kind = ASPathSegment.Kind(rawValue: try r.readU8("AS_PATH segment type"))
            guard (1...4).contains(kind.rawValue) else {
                throw WireError(invalid: "unknown segment type \(kind.rawValue)", field: "AS_PATH", at: at)
            }
            let n = Int(try r.readU8("AS_PATH segment length"))
            var asns: [UInt32] = []
            asns.reserveCapacity(n)
            for _ in 0..<n {
                asns.append(asnWidth == 4 ? try r.readU32("AS number") : UInt32(try r.readU16("AS number")))
            }
            segs.append(ASPathSegment(kind, asns))
        }
        return ASPath(segs)
    }

    public func encode(_ w: inout ByteWriter, asnWidth: Int) {
        for s in segments {
            // A segment holds at most 255 AS numbers; longer runs are split.
            var rest = s.asns[...]
            repeat {
                let chunk = rest.prefix(255)
                rest = rest.dropFirst(chunk.count)
                w.u8(s.kind.rawValue)
                w.u8(UInt8(chunk.count))
                for a in chunk {
                    if asnWidth == 4 { w.u32(a) } else { w.u16(a > 0xFFFF ? ASPath.asTrans16 : UInt16(a)) }
                }
            } while !rest.isEmpty
        }
    }

    static let asTrans16: UInt16 = 23456
    public static let asTrans: UInt32 = 23456

    public var pathLength: Int { segments.reduce(0) { $0 + $1.pathLength } }

    /// The origin AS: the last AS of the path when it ends in a sequence, nil
    /// when it ends in a set (the origin is then ambiguous) or the path is empty.
    public var origin: UInt32? {
        guard let last = segments.last(where: { !$0.asns.isEmpty }) else { return nil }
        return last.kind == .sequence ? last.asns.last : nil
    }

    /// RFC 6793 §4.2.3: rebuild the true path of a 2-octet session from AS_PATH and AS4_PATH.
    public func merged(withAS4 as4: ASPath) -> ASPath {
        let n = pathLength, n4 = as4.pathLength
        if n < n4 { return self }
        var keep = n - n4
        var out: [ASPathSegment] = []
        for s in segments where keep > 0 {
            if s.kind == .set || s.kind == .confedSet {
                out.append(s); keep -= 1
            } else {
                let take = min(keep, s.asns.count)
                out.append(ASPathSegment(s.kind, Array(s.asns.prefix(take))))
                keep -= take
            }
        }
        // Adjacent sequences are one sequence: keep the canonical form.
        var merged: [ASPathSegment] = []
        for seg in out + as4.segments {
            if seg.kind == .sequence, let last = merged.last, last.kind == .sequence {
                merged[merged.count - 1].asns += seg.asns
            } else {
                merged.append(seg)
            }
        }
        return ASPath(merged)
    }

    public var description: String {
        segments.map { s -> String in
            let inner = s.asns.map(String.init)
            switch s.kind {
            case .set: return "{" + inner.joined(separator: ",") + "}"
            case .confedSet: return "[" + inner.joined(separator: ",") + "]"
            case .confedSequence: return "(" + inner.joined(separator: " ") + ")"
            default: return inner.joined(separator: " ")
            }
        }.joined(separator: " ")
    }
}
