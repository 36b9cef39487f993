import PostgresNIO
public import Signals

/// A run's ten signal values as PostgreSQL keeps them (`runs.vals`): 80 bytes, each value 8 bytes
/// big-endian in `StoredValues` order, as `float8send`/`int8send` write them, so SQL can make them
/// (the v4 migration) and the series read can join whole runs into one string on the server.
enum PackedValues {
    static let size = 80

    /// The SQL expression that packs the columns of before v4.
    static let sql = """
        float8send(routed_v4) || float8send(routed_v6) || int8send(visible_prefixes) || float8send(mean_visibility) || int8send(announcements) \
        || int8send(withdrawals) || int8send(path_changes) || int8send(origin_changes) || int8send(full_feed_peers_v4) || int8send(full_feed_peers_v6)
        """

    static func pack(_ v: StoredValues, into b: inout ByteBuffer) {
        b.writeInteger(v.routedV4.bitPattern)
        b.writeInteger(v.routedV6.bitPattern)
        b.writeInteger(Int64(v.visiblePrefixes))
        b.writeInteger(v.meanVisibility.bitPattern)
        b.writeInteger(Int64(v.announcements))
        b.writeInteger(Int64(v.withdrawals))
        b.writeInteger(Int64(v.pathChanges))
        b.writeInteger(Int64(v.originChanges))
        b.writeInteger(Int64(v.fullFeedPeers4))
        b.writeInteger(Int64(v.fullFeedPeers6))
    }

    /// Runs' values end to end, one buffer for a whole bin's inserts (the insert cuts it with `substring`).
    static func pack(_ values: [StoredValues]) -> ByteBuffer {
        var b = ByteBuffer()
        b.reserveCapacity(size * values.count)
        for v in values { pack(v, into: &b) }
        return b
    }

    /// The values at the buffer's reader index (nil if fewer than 80 bytes are left).
    static func unpack(_ b: inout ByteBuffer) -> StoredValues? {
        guard b.readableBytes >= size else { return nil }
        defer { b.moveReaderIndex(forwardBy: size) }
        return b.withUnsafeReadableBytes { unpack($0, 0) }
    }

    /// The values at byte `at` of `raw` (the caller has checked that 80 bytes are there): read in
    /// place, as a busy entity's year is tens of thousands of runs.
    static func unpack(_ raw: UnsafeRawBufferPointer, _ at: Int) -> StoredValues {
        func f(_ k: Int) -> Double { Double(bitPattern: UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: at + 8 * k, as: UInt64.self))) }
        func i(_ k: Int) -> Int { Int(int(raw, at + 8 * k)) }
        return StoredValues(routedV4: f(0), routedV6: f(1), visiblePrefixes: i(2), meanVisibility: f(3), announcements: i(4), withdrawals: i(5),
                            pathChanges: i(6), originChanges: i(7), fullFeedPeers4: i(8), fullFeedPeers6: i(9))
    }

    /// The big-endian 8-byte integer at byte `at` of `raw`.
    @inline(__always)
    static func int(_ raw: UnsafeRawBufferPointer, _ at: Int) -> Int64 {
        Int64(bigEndian: raw.loadUnaligned(fromByteOffset: at, as: Int64.self))
    }
}

extension SeriesRow {
    /// The row's values packed as PostgreSQL keeps them, in bytea's hex form (`\x…`), for a bulk
    /// load by COPY (`vigil-bench store-year-pg`).
    public var packedHex: String {
        let b = PackedValues.pack([StoredValues(self)])
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = [0x5C, 0x78]  // \x
        out.reserveCapacity(2 + 2 * b.readableBytes)
        // Not String(format:) a byte: that cost minutes over a year's 233 million runs.
        for byte in b.readableBytesView { out += [digits[Int(byte >> 4)], digits[Int(byte & 15)]] }
        return String(decoding: out, as: UTF8.self)
    }
}
