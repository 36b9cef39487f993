/// A reader with bgpdump's `mstream` semantics: reading past the end yields
/// zeros and parks the position at the end instead of failing. `vigil dump -m`
/// must print what bgpdump prints even for odd records, so the compatible
/// formatter reads through this; everything else uses the strict `ByteReader`.
struct MStream {
    let base: UnsafeRawPointer?
    let len: Int
    var pos: Int = 0

    init(_ b: UnsafeRawBufferPointer) {
        base = b.baseAddress
        len = b.count
    }

    init(base: UnsafeRawPointer?, len: Int) {
        self.base = base
        self.len = len
    }

    @inline(__always) var canRead: Int { len - pos }

    @inline(__always)
    mutating func getc() -> UInt8 {
        if pos < len {
            let v = base!.load(fromByteOffset: pos, as: UInt8.self)
            pos += 1
            return v
        }
        return 0
    }

    @inline(__always)
    mutating func getw() -> UInt16 {
        if len - pos >= 2 {
            let v = UInt16(bigEndian: base!.loadUnaligned(fromByteOffset: pos, as: UInt16.self))
            pos += 2
            return v
        }
        return UInt16(truncatingIfNeeded: partial(2))
    }

    @inline(__always)
    mutating func getl() -> UInt32 {
        if len - pos >= 4 {
            let v = UInt32(bigEndian: base!.loadUnaligned(fromByteOffset: pos, as: UInt32.self))
            pos += 4
            return v
        }
        return UInt32(truncatingIfNeeded: partial(4))
    }

    /// Big-endian value of the bytes left, zero-filled on the right to `n` bytes.
    mutating func partial(_ n: Int) -> UInt64 {
        var v: UInt64 = 0
        for i in 0..<n {
            v = v << 8 | UInt64(i < len - pos ? base!.load(fromByteOffset: pos + i, as: UInt8.self) : 0)
        }
        pos = len
        return v
    }

    /// Reads `n` bytes (bgpdump copies them into a 16-byte address union):
    /// the first 16 become the address, zero-filled; the rest are skipped.
    mutating func getAddress(_ n: Int) -> (UInt64, UInt64) {
        var hi: UInt64 = 0, lo: UInt64 = 0
        let avail = min(n, len - pos)
        if avail == 16 && n == 16 {
            hi = UInt64(bigEndian: base!.loadUnaligned(fromByteOffset: pos, as: UInt64.self))
            lo = UInt64(bigEndian: base!.loadUnaligned(fromByteOffset: pos + 8, as: UInt64.self))
        } else {
            for i in 0..<min(avail, 16) {
                let b = UInt64(base!.load(fromByteOffset: pos + i, as: UInt8.self))
                if i < 8 { hi |= b << (56 - 8 * UInt64(i)) } else { lo |= b << (56 - 8 * UInt64(i - 8)) }
            }
        }
        pos = avail == n ? pos + n : len
        return (hi, lo)
    }

    @inline(__always)
    mutating func getIPv4() -> UInt32 { getl() }

    /// Skips `n` bytes (or to the end).
    @inline(__always)
    mutating func skip(_ n: Int) { pos = n <= len - pos ? pos + n : len }

    /// `mstream_copy`: a sub-stream of the next `n` bytes (fewer at the end).
    /// A negative `n` is huge in bgpdump's unsigned arithmetic: all that is left.
    @inline(__always)
    mutating func copy(_ n: Int) -> MStream {
        let take = (n < 0 || n > len - pos) ? len - pos : n
        let s = MStream(base: base.map { $0 + pos }, len: take)
        pos += take
        return s
    }

    @inline(__always)
    func peek() -> UInt8? { pos < len ? base!.load(fromByteOffset: pos, as: UInt8.self) : nil }
}
