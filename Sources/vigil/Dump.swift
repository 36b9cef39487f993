import ArgumentParser
import BGPWire
import MRT
import RPKI

struct Dump: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the routes in MRT archives, as bgpdump -m does or as JSON lines.",
        discussion: """
            Reads MRT files (RFC 6396: TABLE_DUMP, TABLE_DUMP_V2, BGP4MP, BGP4MP_ET), plain, \
            gzip or bzip2 (told from the first bytes; multi-member gzip and concatenated bzip2 \
            are read whole). `-` reads standard input.

            Bad records are reported on standard error with file, byte offset, record type \
            and reason; reading goes on with the next record, and the exit status is 1 when \
            anything was skipped (--strict stops at the first).

            Examples:
              vigil dump -m updates.20160811.1600.gz
              vigil dump --json --prefix 175.45.176.0/22 --more-specific bview.gz
              vigil dump --count --type A --origin 131279 updates.*.gz
              vigil dump --from 2008-02-24T18:00Z --until 2008-02-24T21:00Z --path '_17557$' updates.*.bz2
            """
    )

    @Flag(name: .customShort("m"), help: "One line per element, exactly as Debian's bgpdump -m (1.6) prints it (the default).")
    var machine = false

    @Flag(help: "One JSON object per element (schema in README.md).")
    var json = false

    @Flag(help: "Count records and elements; print no elements.")
    var count = false

    @Flag(help: "Stop at the first bad record.")
    var strict = false

    @Option(name: .customLong("peer"), help: "Keep elements from this peer address (repeatable).")
    var peers: [String] = []

    @Option(name: .customLong("peer-as"), help: "Keep elements from this peer AS: AS3356 or 3356 (repeatable).")
    var peerASNs: [ASNumber] = []

    @Option(name: .customLong("prefix"), help: "Keep elements for this prefix (repeatable).")
    var prefixes: [String] = []

    @Flag(name: .customLong("more-specific"), help: "With --prefix: also keep more-specific prefixes.")
    var moreSpecific = false

    @Option(name: .customLong("origin"), help: "Keep announcements and RIB entries originated by this AS: AS131279 or 131279 (repeatable).")
    var origins: [ASNumber] = []

    @Option(name: .customLong("type"), help: "Keep elements of this type: A, W, B or STATE (repeatable).")
    var types: [String] = []

    @Option(name: .customLong("from"), help: "Keep records stamped at or after this time: 2008-02-24T18:47Z, 2008-02-24, or seconds since 1970.",
            transform: TimeArgument.parse)
    var from: TimeArgument?

    @Option(name: .customLong("until"), help: "Keep records stamped before this time.", transform: TimeArgument.parse)
    var until: TimeArgument?

    @Option(name: .customLong("path"), help: "Keep routes whose AS path matches this regular expression; _ is a boundary between ASes ('_3491_17557$').")
    var path: String?

    @Option(name: .customLong("community"), help: "Keep routes with this community: 65000:100, 65000:* or a large one, 65000:1:2 (repeatable: any of them).")
    var communities: [String] = []

    @Option(name: .customLong("roas"), help: "Validated ROA payloads for --rpki: a validator's export (rpki-client -j, Routinator json/jsonext/csv, RIPE NCC validator).")
    var roas: String?

    @Option(name: .customLong("rpki"), help: "With --roas: keep routes in this RFC 6811 state: valid, invalid or not-found (repeatable).")
    var rpki: [String] = []

    @Argument(help: "MRT files to read, in order (- for standard input).")
    var files: [String]

    func validate() throws {
        if [machine, json, count].filter({ $0 }).count > 1 {
            throw ValidationError("choose one of -m, --json and --count")
        }
        if files.isEmpty { throw ValidationError("name at least one MRT file (- for standard input)") }
        _ = try makeFilter()
        for s in rpki where RPKIState(rawValue: s) == nil { throw ValidationError("--rpki \(s): use valid, invalid or not-found") }
        if roas != nil && rpki.isEmpty { throw ValidationError("--roas needs --rpki valid, invalid or not-found") }
        if roas == nil && !rpki.isEmpty { throw ValidationError("--rpki needs --roas FILE (a validator's VRP export)") }
    }

    /// Route origin validation as a route filter (the VRP file's problems reported, the rest used).
    func rpkiFilter() throws -> (@Sendable (Prefix, UInt32?) -> Bool)? {
        guard let roas else { return nil }
        let loaded: VRPFile.Loaded
        do { loaded = try VRPFile.load(path: roas) } catch { throw ValidationError("--roas \(error)") }
        for p in loaded.problems { printError("vigil: \(p)") }
        let table = VRPTable(loaded.vrps)
        let keep = Set(rpki.compactMap(RPKIState.init(rawValue:)))
        return { prefix, origin in keep.contains(table.validate(prefix, origin: origin)) }
    }

    func makeFilter() throws -> ElementFilter {
        var f = ElementFilter()
        for p in peers {
            guard let a = IPAddress(p) else { throw ValidationError("--peer \(p): not an IP address") }
            f.peerAddresses.insert(a)
        }
        f.peerASNs = Set(peerASNs.map(\.value))
        for p in prefixes {
            f.prefixes.append(try prefixOption(p, option: "--prefix"))
        }
        f.moreSpecifics = moreSpecific
        f.from = try from.map { try Self.stamp($0, "--from") }
        f.until = try until.map { try Self.stamp($0, "--until") }
        if let a = f.from, let b = f.until, a >= b { throw ValidationError("--from must be before --until") }
        do {
            f.path = try path.map { try ASPathPattern($0) }
            f.communities = try communities.map { try CommunityPattern($0) }
        } catch {
            throw ValidationError("\(path != nil && f.path == nil ? "--path" : "--community") \(error)")
        }
        f.originASNs = Set(origins.map(\.value))
        for t in types {
            guard let k = ElementKind(rawValue: t.uppercased()) else {
                throw ValidationError("--type \(t): use A, W, B or STATE")
            }
            f.kinds.insert(k)
        }
        return f
    }

    /// MRT stamps records with 32-bit seconds.
    static func stamp(_ t: TimeArgument, _ option: String) throws -> UInt32 {
        guard let v = UInt32(exactly: t.seconds) else { throw ValidationError("\(option): \(TimeArgument.format(t.seconds)) is outside MRT's time range (1970–2106)") }
        return v
    }

    func run() throws {
        let mode: DumpMode = json ? .json : count ? .count : .bgpdump
        var filter = try makeFilter()
        filter.route = try rpkiFilter()
        let runner = DumpRunner(mode: mode, filter: filter, strict: strict)
        let ok = runner.run(files: files)
        if !ok { throw ExitCode(1) }
    }
}
