/// The MRT common header (RFC 6396 §2), with the microsecond field of the
/// `_ET` types (§3) already taken out of the length.
///
///     +---------------------------------------------------------------+
///     |                           Timestamp                           |
///     +-------------------------------+-------------------------------+
///     |             Type              |            Subtype            |
///     +-------------------------------+-------------------------------+
///     |                             Length                            |
///     +---------------------------------------------------------------+
///     |                  Microsecond Timestamp (_ET only)             |
///     +---------------------------------------------------------------+
public struct MRTHeader: Hashable, Sendable {
    public var timestamp: UInt32
    public var type: MRTType
    public var subtype: UInt16
    /// Length of the message body, not counting the microsecond field.
    public var length: UInt32
    /// Present for the extended-timestamp types.
    public var microseconds: UInt32?

    public init(timestamp: UInt32, type: MRTType, subtype: UInt16, length: UInt32, microseconds: UInt32? = nil) {
        self.timestamp = timestamp
        self.type = type
        self.subtype = subtype
        self.length = length
        self.microseconds = microseconds
    }
}

/// MRT record types (RFC 6396 §4) as an open code point.
public struct MRTType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public init(_ v: UInt16) { rawValue = v }

    public static let bgp = MRTType(5)
    public static let tableDump = MRTType(12)
    public static let tableDumpV2 = MRTType(13)
    public static let bgp4mp = MRTType(16)
    public static let bgp4mpET = MRTType(17)

    public var hasExtendedTimestamp: Bool { rawValue == 17 || rawValue == 33 || rawValue == 49 }

    /// Types defined by RFC 6396 (including the deprecated ones): anything
    /// else in a header means the reader has lost the record boundaries.
    public var isDefined: Bool {
        rawValue <= 13 || rawValue == 16 || rawValue == 17 || rawValue == 32 || rawValue == 33 || rawValue == 48 || rawValue == 49
    }

    public var description: String {
        switch rawValue {
        case 5: "BGP"
        case 12: "TABLE_DUMP"
        case 13: "TABLE_DUMP_V2"
        case 16: "BGP4MP"
        case 17: "BGP4MP_ET"
        default: "type \(rawValue)"
        }
    }
}

/// One framed record: its header and a view of its body, valid until the next read.
public struct RawRecord {
    public var header: MRTHeader
    public var body: UnsafeRawBufferPointer
    /// Byte offset of the record's header in the (decompressed) input.
    public var offset: Int
}

/// Something wrong with the input that the reader stepped over or stopped at.
public struct ReadIssue: Error, CustomStringConvertible, Sendable {
    public enum Kind: String, Sendable {
        case truncatedRecord = "truncated record"
        case badHeader = "bad header"
        case resynchronised = "resynchronised"
        case malformedRecord = "malformed record"
        case inputError = "input error"
    }
    public var kind: Kind
    public var file: String
    public var offset: Int
    public var recordType: String
    public var reason: String

    public init(kind: Kind, file: String, offset: Int, recordType: String, reason: String) {
        self.kind = kind
        self.file = file
        self.offset = offset
        self.recordType = recordType
        self.reason = reason
    }

    public var description: String { "\(file): offset \(offset): \(recordType): \(kind.rawValue): \(reason)" }
}

/// Frames MRT records from a byte stream in constant memory.
///
/// The input is read in large blocks into one buffer that only grows to the
/// largest record seen. A record whose header is implausible (an undefined
/// type, an absurd length) means the boundaries are lost: the reader reports
/// it and scans forward for the next offset where two headers in a row make
/// sense, so one corrupt byte costs one record, not the rest of the file.
public final class MRTReader {
    public let name: String
    var source: any ByteSource
    var buffer: UnsafeMutableRawBufferPointer
    var start = 0
    var end = 0
    var eof = false
    /// Absolute input offset of `buffer[0]`.
    var bufferBase = 0
    public let maxRecordLength: Int
    public private(set) var issues: [ReadIssue] = []
    public var onIssue: ((ReadIssue) -> Void)?
    /// Records framed so far.
    public private(set) var recordCount = 0
    public private(set) var bytesRead = 0

    public init(source: any ByteSource, name: String, blockSize: Int = 1 << 20, maxRecordLength: Int = 16 << 20) {
        self.source = source
        self.name = name
        self.maxRecordLength = maxRecordLength
        buffer = .allocate(byteCount: blockSize, alignment: 16)
    }

    /// The file under the decompressor, when reading a path: its position drives progress bars.
    public private(set) var file: FileSource?

    public convenience init(path: String) throws {
        let f = try FileSource(path: path)
        try self.init(source: openInput(file: f), name: path == "-" ? "[stdin]" : path)
        file = f
    }

    deinit { buffer.deallocate() }

    func report(_ i: ReadIssue) {
        if issues.count < 10_000 { issues.append(i) }
        onIssue?(i)
    }

    public func reportMalformed(_ record: RawRecord, _ reason: String) {
        report(ReadIssue(kind: .malformedRecord, file: name, offset: record.offset,
                         recordType: recordName(record.header), reason: reason))
    }

    /// Makes at least `n` bytes available from `start`; false at end of input.
    @inline(__always)
    func ensure(_ n: Int) throws -> Bool {
        if end - start >= n { return true }
        return try fill(n)
    }

    func fill(_ n: Int) throws -> Bool {
        if start > 0 {
            let live = end - start
            if live > 0 { buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + start, byteCount: live) }
            bufferBase += start
            end = live
            start = 0
        }
        if n > buffer.count {
            var size = buffer.count
            while size < n { size *= 2 }
            let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
            if end > 0 { bigger.baseAddress!.copyMemory(from: buffer.baseAddress!, byteCount: end) }
            buffer.deallocate()
            buffer = bigger
        }
        while end < n && !eof {
            let got: Int
            do {
                got = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[end...]))
            } catch {
                eof = true
                report(ReadIssue(kind: .inputError, file: name, offset: bufferBase + end, recordType: "-", reason: "\(error)"))
                break
            }
            if got == 0 { eof = true }
            end += got
            bytesRead += got
        }
        return end - start >= n
    }

    @inline(__always)
    func u32(_ at: Int) -> UInt32 { UInt32(bigEndian: buffer.loadUnaligned(fromByteOffset: at, as: UInt32.self)) }
    @inline(__always)
    func u16(_ at: Int) -> UInt16 { UInt16(bigEndian: buffer.loadUnaligned(fromByteOffset: at, as: UInt16.self)) }

    func plausible(at i: Int) -> Bool {
        let type = MRTType(u16(i + 4))
        let len = Int(u32(i + 8))
        return type.isDefined && len <= maxRecordLength && (!type.hasExtendedTimestamp || len >= 4)
    }

    /// The next record, or nil at the end of input.
    public func next() throws -> RawRecord? {
        while true {
            guard try ensure(12) else {
                if end > start {
                    report(ReadIssue(kind: .truncatedRecord, file: name, offset: bufferBase + start, recordType: "-",
                                     reason: "\(end - start) bytes left at end of input, less than an MRT header"))
                    start = end
                }
                return nil
            }
            let at = start
            guard plausible(at: at) else {
                let h = "type \(u16(at + 4)) subtype \(u16(at + 6)) length \(u32(at + 8))"
                report(ReadIssue(kind: .badHeader, file: name, offset: bufferBase + at, recordType: h,
                                 reason: "not an MRT header; looking for the next record"))
                try resynchronise()
                continue
            }
            let type = MRTType(u16(at + 4))
            var length = Int(u32(at + 8))
            guard try ensure(12 + length) else {
                // Either the input was cut short, or this length is damaged and
                // records follow inside what it claims: look for them first.
                // (`ensure` may have moved the buffer: use `start`, not `at`.)
                if let c = try chainStart(from: start + 1, before: end) {
                    report(ReadIssue(kind: .badHeader, file: name, offset: bufferBase + start, recordType: "\(type) subtype \(u16(at + 6))",
                                     reason: "length \(length) runs past the end of input; records resume at offset \(bufferBase + c)"))
                    start = c
                    continue
                }
                report(ReadIssue(kind: .truncatedRecord, file: name, offset: bufferBase + start,
                                 recordType: "\(type) subtype \(u16(start + 6))",
                                 reason: "record of \(length) bytes, only \(end - start - 12) left at end of input"))
                start = end
                return nil
            }
            // The next header must make sense too; if it does not, and a chain of
            // sound headers starts inside this record's body, the length is damaged.
            if try ensure(12 + length + 12), !plausible(at: start + 12 + length),
               let c = try chainStart(from: start + 1, before: start + 12 + length) {
                report(ReadIssue(kind: .badHeader, file: name, offset: bufferBase + start, recordType: "\(type) subtype \(u16(start + 6))",
                                 reason: "length \(length) does not reach the next record; records resume at offset \(bufferBase + c)"))
                start = c
                continue
            }
            var header = MRTHeader(timestamp: u32(start), type: type, subtype: u16(start + 6), length: UInt32(length))
            var bodyAt = start + 12
            if type.hasExtendedTimestamp {
                header.microseconds = u32(bodyAt)
                bodyAt += 4
                length -= 4
                header.length = UInt32(length)
            }
            let record = RawRecord(header: header, body: UnsafeRawBufferPointer(rebasing: buffer[bodyAt..<(bodyAt + length)]),
                                   offset: bufferBase + start)
            start = bodyAt + length
            recordCount += 1
            return record
        }
    }

    /// The first offset in `from..<before` where a plausible header is followed by
    /// another (or by the end of input). Offsets are buffer positions; the
    /// buffer is not compacted while this runs because `start` stays put.
    func chainStart(from: Int, before: Int) throws -> Int? {
        var i = from
        while i < before && i + 12 <= end {
            if plausible(at: i) {
                let next = i + 12 + Int(u32(i + 8))
                if next + 12 <= end {
                    if plausible(at: next) { return i }
                } else if next == end && eof {
                    return i
                }
            }
            i += 1
        }
        return nil
    }

    /// Skips forward one byte at a time to where a plausible header is followed
    /// by another plausible header (or the end of input).
    func resynchronise() throws {
        let from = bufferBase + start
        start += 1
        while true {
            guard try ensure(12) else { start = end; return }
            if plausible(at: start) {
                let len = Int(u32(start + 8))
                if try ensure(12 + len + 12) {
                    if plausible(at: start + 12 + len) { break }
                } else if end - start == 12 + len {
                    break  // the candidate is exactly the last record
                }
            }
            start += 1
        }
        report(ReadIssue(kind: .resynchronised, file: name, offset: bufferBase + start, recordType: "-",
                         reason: "skipped \(bufferBase + start - from) bytes"))
    }
}

/// A short name for a record's type and subtype, as used in reports.
public func recordName(_ h: MRTHeader) -> String {
    let sub: String
    switch (h.type.rawValue, h.subtype) {
    case (12, 1): sub = "AFI_IPv4"
    case (12, 2): sub = "AFI_IPv6"
    case (13, 1): sub = "PEER_INDEX_TABLE"
    case (13, 2): sub = "RIB_IPV4_UNICAST"
    case (13, 3): sub = "RIB_IPV4_MULTICAST"
    case (13, 4): sub = "RIB_IPV6_UNICAST"
    case (13, 5): sub = "RIB_IPV6_MULTICAST"
    case (13, 6): sub = "RIB_GENERIC"
    case (13, 8): sub = "RIB_IPV4_UNICAST_ADDPATH"
    case (13, 9): sub = "RIB_IPV4_MULTICAST_ADDPATH"
    case (13, 10): sub = "RIB_IPV6_UNICAST_ADDPATH"
    case (13, 11): sub = "RIB_IPV6_MULTICAST_ADDPATH"
    case (13, 12): sub = "RIB_GENERIC_ADDPATH"
    case (16, 0), (17, 0): sub = "STATE_CHANGE"
    case (16, 1), (17, 1): sub = "MESSAGE"
    case (16, 4), (17, 4): sub = "MESSAGE_AS4"
    case (16, 5), (17, 5): sub = "STATE_CHANGE_AS4"
    case (16, 6), (17, 6): sub = "MESSAGE_LOCAL"
    case (16, 7), (17, 7): sub = "MESSAGE_AS4_LOCAL"
    case (16, 8), (17, 8): sub = "MESSAGE_ADDPATH"
    case (16, 9), (17, 9): sub = "MESSAGE_AS4_ADDPATH"
    case (16, 10), (17, 10): sub = "MESSAGE_LOCAL_ADDPATH"
    case (16, 11), (17, 11): sub = "MESSAGE_AS4_LOCAL_ADDPATH"
    default: sub = "subtype \(h.subtype)"
    }
    return "\(h.type)/\(sub)"
}
