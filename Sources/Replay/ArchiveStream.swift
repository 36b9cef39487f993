public import BGPWire
import MRT

/// The raw records of a sequence of archive files (one collector's, in time order),
/// read lazily; problems are reported and the files after them still read.
final class RecordCursor {
    let files: [String]
    var index = -1
    var reader: MRTReader?
    let onIssue: (String) -> Void
    /// Stored size of the files finished so far.
    var finishedBytes = 0

    init(files: [String], onIssue: @escaping (String) -> Void) {
        self.files = files
        self.onIssue = onIssue
    }

    var currentBytes: Int { finishedBytes + (reader?.file?.position ?? 0) }

    /// The next record, or nil when every file is read. Valid until the next call.
    func next() -> RawRecord? {
        while true {
            if reader == nil && !openNext() { return nil }
            let raw: RawRecord?
            do { raw = try reader!.next() } catch { onIssue("\(files[index]): \(error)"); raw = nil }
            if let rec = raw { return rec }
            finishedBytes += reader?.file?.size ?? 0
            reader = nil
        }
    }

    func reportMalformed(_ rec: RawRecord, _ problem: String) { reader?.reportMalformed(rec, problem) }

    func openNext() -> Bool {
        while index + 1 < files.count {
            index += 1
            do {
                let r = try MRTReader(path: files[index])
                r.onIssue = { [onIssue] in onIssue($0.description) }
                reader = r
                return true
            } catch {
                onIssue("\(error)")
            }
        }
        return false
    }
}

/// The elements of a sequence of archive files (one collector's, in time
/// order), read lazily, one record at a time: the live path's form (`BGPElement`).
public final class FileSequenceStream {
    let cursor: RecordCursor
    let decoder = ElementDecoder()
    var buffer: [BGPElement] = []
    var position = 0

    public init(files: [String], onIssue: @escaping (String) -> Void) {
        cursor = RecordCursor(files: files, onIssue: onIssue)
    }

    public var currentBytes: Int { cursor.currentBytes }

    /// The elements of the next record that has any (they share one timestamp),
    /// or nil when every file is read. Valid until the next call.
    public func nextBatch() -> [BGPElement]? {
        position = buffer.count
        guard next() != nil else { return nil }
        position = buffer.count
        return buffer
    }

    /// The next element, or nil when every file is read.
    public func next() -> BGPElement? {
        while position >= buffer.count {
            buffer.removeAll(keepingCapacity: true)
            position = 0
            guard let rec = cursor.next() else { return nil }
            if let problem = decoder.decode(rec, into: &buffer) { cursor.reportMalformed(rec, problem) }
        }
        defer { position += 1 }
        return buffer[position]
    }
}

/// The records of a sequence of archive files as `RouteBatch`es (the replay path:
/// nothing allocated per element). `batch` holds the current record's elements.
public final class RouteFileStream {
    let cursor: RecordCursor
    let walker = RouteWalker()
    public private(set) var batch = RouteBatch()

    public init(files: [String], onIssue: @escaping (String) -> Void) {
        cursor = RecordCursor(files: files, onIssue: onIssue)
    }

    public var currentBytes: Int { cursor.currentBytes }
    /// Records read by the walker and by the typed decoder (odd ones).
    public var walkedRecords: Int { walker.walkedRecords }
    public var typedRecords: Int { walker.typedRecords }

    var key: (UInt32, UInt32) { (batch.timestamp, batch.microseconds) }

    /// Moves to the next record that has elements; false when every file is read.
    public func advance() -> Bool {
        while let rec = cursor.next() {
            if let problem = walker.decode(rec, into: &batch) { cursor.reportMalformed(rec, problem) }
            if !batch.elements.isEmpty { return true }
        }
        return false
    }
}

/// Several collectors' streams merged into one stream in timestamp order, as
/// BGPStream does: a small heap keyed by each stream's current record time. It
/// hands out a record's batch in place (its elements share a timestamp).
public final class MergedStream {
    let streams: [RouteFileStream]
    var heap: [Int] = []

    public init(_ streams: [RouteFileStream]) {
        self.streams = streams
        for i in streams.indices where streams[i].advance() { push(i) }
    }

    public var bytesRead: Int { streams.reduce(0) { $0 + $1.currentBytes } }
    public var walkedRecords: Int { streams.reduce(0) { $0 + $1.walkedRecords } }
    public var typedRecords: Int { streams.reduce(0) { $0 + $1.typedRecords } }

    @inline(__always)
    func less(_ a: Int, _ b: Int) -> Bool {
        streams[a].key < streams[b].key
    }

    func push(_ i: Int) {
        heap.append(i)
        var c = heap.count - 1
        while c > 0 {
            let p = (c - 1) / 2
            if less(heap[c], heap[p]) { heap.swapAt(c, p); c = p } else { break }
        }
    }

    func popMin() -> Int? {
        guard let top = heap.first else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var p = 0
            while true {
                let l = 2 * p + 1, r = l + 1
                var m = p
                if l < heap.count && less(heap[l], heap[m]) { m = l }
                if r < heap.count && less(heap[r], heap[m]) { m = r }
                if m == p { break }
                heap.swapAt(p, m)
                p = m
            }
        }
        return top
    }

    /// Calls `body` with the next record's batch in time order; false at the end.
    public func nextBatch(_ body: (borrowing RouteBatch) throws -> Void) rethrows -> Bool {
        guard let i = popMin() else { return false }
        try body(streams[i].batch)
        if streams[i].advance() { push(i) }
        return true
    }
}
