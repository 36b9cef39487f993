/// One element of a `RouteBatch`: a `BGPElement` without anything that needs the heap.
/// Its AS path is a range of the batch's `pathBytes`, so the elements of one
/// record share it and the routing state interns it by its bytes.
public struct RouteElement: Sendable {
    public var kind: ElementKind
    public var peerAddress: IPAddress
    public var peerAS: UInt32
    /// Meaningless for state changes.
    public var prefix: Prefix
    public var pathID: UInt32?
    /// The AS path in `pathBytes`: `pathStart ..< pathStart + pathLength`.
    public var pathStart: Int32
    public var pathLength: Int32
    public var oldState: UInt16
    public var newState: UInt16

    public init(kind: ElementKind, peerAddress: IPAddress, peerAS: UInt32, prefix: Prefix, pathID: UInt32? = nil,
                pathStart: Int32 = 0, pathLength: Int32 = 0, oldState: UInt16 = 0, newState: UInt16 = 0) {
        self.kind = kind
        self.peerAddress = peerAddress
        self.peerAS = peerAS
        self.prefix = prefix
        self.pathID = pathID
        self.pathStart = pathStart
        self.pathLength = pathLength
        self.oldState = oldState
        self.newState = newState
    }
}

/// The elements of one record, refilled in place record after record: what the
/// replay path reads instead of `[BGPElement]`, so that nothing is allocated per
/// element (or, once its arrays have grown, per record).
///
/// AS paths are held in one canonical form, the AS_PATH attribute's bytes with
/// 4-octet AS numbers (AS4_PATH already merged on 2-octet sessions): equal paths
/// have equal bytes whatever the session's width.
public struct RouteBatch: Sendable {
    public var timestamp: UInt32 = 0
    public var microseconds: UInt32 = 0
    public var elements: [RouteElement] = []
    public var pathBytes: [UInt8] = []

    public init() {}

    public mutating func reset(timestamp: UInt32, microseconds: UInt32) {
        self.timestamp = timestamp
        self.microseconds = microseconds
        elements.removeAll(keepingCapacity: true)
        pathBytes.removeAll(keepingCapacity: true)
    }

    /// Appends a path in canonical form; returns its (start, length).
    public mutating func appendPath(_ p: ASPath) -> (Int32, Int32) {
        let start = pathBytes.count
        p.appendCanonical(to: &pathBytes)
        return (Int32(start), Int32(pathBytes.count - start))
    }

    /// Appends AS_PATH bytes of a 4-octet session as they are (they are canonical).
    public mutating func appendPath(fourOctet raw: UnsafeRawBufferPointer) -> (Int32, Int32) {
        let start = pathBytes.count
        pathBytes.append(contentsOf: raw)
        return (Int32(start), Int32(raw.count))
    }

    /// Appends AS_PATH bytes of a 2-octet session widened to 4 octets. The bytes
    /// must be a valid AS_PATH (the walker checked them).
    public mutating func appendPath(twoOctet raw: UnsafeRawBufferPointer) -> (Int32, Int32) {
        let start = pathBytes.count
        // Each segment's header stays; each 2-octet AS number gets two zero bytes before it.
        var segments = 0, i = 0
        while i + 2 <= raw.count { segments += 1; i += 2 + 2 * Int(raw[i + 1]) }
        let wide = 2 * segments + 2 * (raw.count - 2 * segments)
        pathBytes.append(contentsOf: repeatElement(0, count: wide))
        pathBytes.withUnsafeMutableBytes { out in
            var o = start
            i = 0
            while i + 2 <= raw.count {
                let n = Int(raw[i + 1])
                out[o] = raw[i]
                out[o + 1] = raw[i + 1]
                o += 2
                for k in 0..<n {
                    out[o + 2] = raw[i + 2 + 2 * k]
                    out[o + 3] = raw[i + 3 + 2 * k]
                    o += 4
                }
                i += 2 + 2 * n
            }
        }
        return (Int32(start), Int32(wide))
    }
}

extension ASPath {
    /// The canonical bytes of `RouteBatch`: AS_PATH with 4-octet AS numbers.
    public func appendCanonical(to out: inout [UInt8]) {
        for s in segments {
            // A segment holds at most 255 AS numbers; longer runs are split (as `encode` does).
            var i = 0
            repeat {
                let n = min(255, s.asns.count - i)
                out.append(s.kind.rawValue)
                out.append(UInt8(n))
                for a in s.asns[i..<(i + n)] {
                    out.append(UInt8(truncatingIfNeeded: a >> 24))
                    out.append(UInt8(truncatingIfNeeded: a >> 16))
                    out.append(UInt8(truncatingIfNeeded: a >> 8))
                    out.append(UInt8(truncatingIfNeeded: a))
                }
                i += n
            } while i < s.asns.count
        }
    }

    /// Decodes canonical bytes (4-octet AS numbers); nil when they are not a valid AS_PATH.
    public static func canonical(_ bytes: UnsafeRawBufferPointer) -> ASPath? {
        var r = ByteReader(bytes)
        return try? ASPath.decode(&r, asnWidth: 4)
    }

    /// The origin of canonical bytes, as `origin` would give it (0 for none), without decoding.
    public static func canonicalOrigin(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var i = 0
        var origin: UInt32 = 0
        while i + 2 <= bytes.count {
            let kind = bytes[i], n = Int(bytes[i + 1])
            guard i + 2 + 4 * n <= bytes.count else { return 0 }
            if n > 0 {
                origin = kind == ASPathSegment.Kind.sequence.rawValue
                    ? UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: i + 2 + 4 * (n - 1), as: UInt32.self)) : 0
            }
            i += 2 + 4 * n
        }
        return origin
    }
}
