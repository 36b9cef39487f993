public import BGPWire
import MRT

/// The elements of a sequence of archive files (one collector's, in time
/// order), read lazily, one record at a time.
public final class FileSequenceStream {
    let files: [String]
    var index = -1
    var reader: MRTReader?
    let decoder = ElementDecoder()
    var buffer: [BGPElement] = []
    var position = 0
    let onIssue: (String) -> Void
    /// Stored size of the files finished so far, plus the current file's position.
    public private(set) var finishedBytes = 0

    public init(files: [String], onIssue: @escaping (String) -> Void) {
        self.files = files
        self.onIssue = onIssue
    }

    public var currentBytes: Int { finishedBytes + (reader?.file?.position ?? 0) }

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
            if reader == nil && !openNext() { return nil }
            let raw: RawRecord?
            do { raw = try reader!.next() } catch { onIssue("\(files[index]): \(error)"); raw = nil }
            guard let rec = raw else {
                finishedBytes += reader?.file?.size ?? 0
                reader = nil
                continue
            }
            if let problem = decoder.decode(rec, into: &buffer) { reader!.reportMalformed(rec, problem) }
        }
        defer { position += 1 }
        return buffer[position]
    }

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

/// Several collectors' streams merged into one stream in timestamp order, as
/// BGPStream does: a small heap keyed by each stream's next record time. It
/// hands out a record's elements together (they share a timestamp), so the
/// replay loop reads them in place instead of copying element by element.
public final class MergedStream {
    let streams: [FileSequenceStream]
    var heads: [[BGPElement]?]
    var heap: [Int] = []

    public init(_ streams: [FileSequenceStream]) {
        self.streams = streams
        heads = streams.map { $0.nextBatch() }
        for i in heads.indices where heads[i] != nil { push(i) }
    }

    public var bytesRead: Int { streams.reduce(0) { $0 + $1.currentBytes } }

    func key(_ i: Int) -> (UInt32, UInt32) { (heads[i]![0].timestamp, heads[i]![0].microseconds ?? 0) }

    func push(_ i: Int) {
        heap.append(i)
        var c = heap.count - 1
        while c > 0 {
            let p = (c - 1) / 2
            if key(heap[c]) < key(heap[p]) { heap.swapAt(c, p); c = p } else { break }
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
                if l < heap.count && key(heap[l]) < key(heap[m]) { m = l }
                if r < heap.count && key(heap[r]) < key(heap[m]) { m = r }
                if m == p { break }
                heap.swapAt(p, m)
                p = m
            }
        }
        return top
    }

    /// Calls `body` with the elements of the next record in time order; false at the end.
    public func nextBatch(_ body: ([BGPElement]) throws -> Void) rethrows -> Bool {
        guard let i = popMin() else { return false }
        try body(heads[i]!)
        heads[i] = streams[i].nextBatch()
        if heads[i] != nil { push(i) }
        return true
    }
}
