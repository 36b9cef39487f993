/// What `vigil dump` prints.
public enum DumpMode: Sendable {
    case bgpdump, json, count
}

/// Reads files in order and prints their elements; the engine of `vigil dump`,
/// kept in the library so tests and benchmarks drive exactly what users run.
public final class DumpRunner {
    let mode: DumpMode
    let filter: ElementFilter
    let strict: Bool
    public let output: FDOutput
    public private(set) var records = 0
    public private(set) var elements = 0
    public private(set) var problems = 0

    public init(mode: DumpMode, filter: ElementFilter = ElementFilter(), strict: Bool = false, output: FDOutput = FDOutput()) {
        self.mode = mode
        self.filter = filter
        self.strict = strict
        self.output = output
    }

    /// Returns false when anything was skipped or could not be read.
    public func run(files: [String]) -> Bool {
        for f in files {
            if !runFile(f) && strict { break }
        }
        if mode == .count {
            output.write("records: \(records)\nelements: \(elements)\n")
        }
        output.flush()
        return problems == 0
    }

    func report(_ s: String) {
        problems += 1
        printError("vigil: \(s)")
    }

    /// Returns false if the file had a problem.
    func runFile(_ path: String) -> Bool {
        let reader: MRTReader
        do {
            reader = try MRTReader(path: path)
        } catch {
            report("\(error)")
            return false
        }
        let before = problems
        reader.onIssue = { [unowned self] issue in self.report(issue.description) }
        let bgpdump = BgpdumpFormatter(filter: filter, countOnly: mode == .count)
        let elementReader = mode == .json ? ElementDecoder(filter: filter) : nil
        while true {
            if strict && problems > before { return false }
            let next: RawRecord?
            do { next = try reader.next() } catch {
                report("\(path): \(error)")
                return false
            }
            guard let rec = next else { break }
            // The time window (a RIB's peer table is always read: its entries need it).
            if !filter.matchesTime(rec.header.timestamp) && !(rec.header.type == .tableDumpV2 && rec.header.subtype == 1) { continue }
            records += 1
            if let er = elementReader {
                let (n, problem) = er.appendJSON(rec, into: &output.buffer)
                elements += n
                if let p = problem { reader.reportMalformed(rec, p) }
            } else {
                let (n, problem) = bgpdump.format(rec, into: &output.buffer)
                elements += n
                if let p = problem { reader.reportMalformed(rec, p) }
            }
            output.flushIfNeeded()
        }
        return problems == before
    }
}
