import ArgumentParser
import BGPWire
import Config
import Entities
import Foundation
import MRT
import Probing
import Signals
import Service
import Store

struct ProbeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Probe address blocks with ICMP, Trinocular-style: is the network reachable, and how well?",
        discussion: """
            Learns each block's ever-responsive addresses with a census (every address once), \
            then every round (default 10 minutes) probes each block adaptively — one probe when \
            nothing changed, up to 14 while the belief that it is up is uncertain — and reports \
            per entity: blocks up/down/uncertain, probes sent/answered, loss, RTT median and 95th \
            percentile. Results and events go to the store; data-plane outages and latency \
            degradation are detected against the entity's own baseline. Only configured targets \
            are ever probed; never-probe ranges are honoured everywhere. Raw ICMP sockets need root \
            (CAP_NET_RAW); `--socket datagram` uses the unprivileged ICMP socket where \
            net.ipv4.ping_group_range allows it. Run alongside the BGP collector (a [probe] section \
            in `vigil collect`'s file) to tell routes withdrawn from unreachable-while-routed.

            Examples:
              vigil probe --config vigil.toml
              vigil probe --target 192.0.2.0/24=AS64500 --round 60 --rounds 10
              vigil probe --scan 10.77.0.0/16 --rate 100000 --force --timeout 1
              vigil probe --blocks --db vigil.db
            """
    )

    @Option(help: "Configuration file (TOML) with a [probe] section (README.md, \"Active probing\").")
    var config: String?

    @Option(name: .customLong("target"), help: "A prefix to probe, optionally with its entity: PREFIX[=ENTITY] (repeatable).")
    var targets: [String] = []

    @Option(help: "A prefix never to probe (repeatable).")
    var never: [String] = []

    @Option(help: "Packets per second, all targets together (default 10000).")
    var rate: Double?

    @Option(help: "Seconds between rounds (default 600).")
    var round: Double?

    @Option(help: "Seconds to wait for a reply (default 3).")
    var timeout: Double?

    @Option(help: "Stop after this many rounds (default: run until interrupted).")
    var rounds: Int?

    @Option(help: "ICMP socket: raw, datagram (unprivileged) or auto.")
    var socket: String?

    @Option(help: "How IPv4 probes leave: socket (the kernel routes each) or packet (link-layer frames to the next hop; faster, bypasses netfilter's OUTPUT hooks).")
    var sender: String?

    @Option(help: "SQLite database file for rows, blocks and events (default: the config's store.database, else vigil.db; \"\" for none).")
    var db: String?

    @Option(help: "Append event changes as JSON lines to this file.")
    var eventsFile: String?

    @Option(help: "Probe every address of PREFIX once, print one JSON line of totals and exit (a sweep, for benchmarks).")
    var scan: String?

    @Flag(help: "Sweep a prefix larger than /16 (IPv6: /112) with --scan, or probe faster than probe.max_rate (default 10000/s) with --rate.")
    var force = false

    @Flag(help: "List the stored blocks (state, belief, availability, ever-responsive addresses, last census, why probed) and exit.")
    var blocks = false

    func run() async throws {
        if blocks { return try await listBlocks() }
        var cfg = CollectConfig()
        if let path = config {
            let text: String
            do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
                throw ValidationError("\(path): cannot read: \(error.localizedDescription)")
            }
            do { cfg = try CollectConfig(toml: text, file: path, forProbing: scan == nil) } catch let p as CollectConfig.Problem {
                printError("vigil: \(p.description)")
                throw ExitCode(2)
            }
        }
        var plan = cfg.probe ?? ProbePlan()
        for t in targets {
            let parts = t.split(separator: "=", maxSplits: 1).map(String.init)
            let p = try prefixOption(parts[0], option: "--target")
            var entity: String?
            if parts.count == 2 {
                do { entity = try entityOption(parts[1]).description } catch let e as ValidationError { throw ValidationError("--target \(t): \(e.message)") }
            }
            plan.targets.append(ProbePlan.Target(prefix: p, entity: entity))
        }
        for n in never {
            plan.never.append(try prefixOption(n, option: "--never"))
        }
        // The configuration file's ranges: larger values (inf too) overflow where they become counts and times.
        if let rate {
            guard (1...10_000_000).contains(rate) else { throw ValidationError("--rate must be 1...10000000 probes/s") }
            guard force || rate <= plan.maxRate else {
                throw ValidationError("--rate \(Int(rate)): above the ceiling of \(Int(plan.maxRate)) probes/s (probe.max_rate in the config); --force exceeds it")
            }
            plan.rate = rate
        }
        if let round {
            guard (1...Double(CollectConfig.maxDuration)).contains(round) else {
                throw ValidationError("--round must be 1...\(CollectConfig.maxDuration) seconds")
            }
            plan.round = round
        }
        if let timeout { guard (0.01...60).contains(timeout) else { throw ValidationError("--timeout must be 0.01...60 seconds") }; plan.timeout = timeout }
        let kindName = socket ?? cfg.probeSocket
        guard let kind = SocketKind(rawValue: kindName) else { throw ValidationError("--socket must be raw, datagram or auto") }
        guard let how = Sender(rawValue: sender ?? cfg.probeSender) else { throw ValidationError("--sender must be socket or packet") }

        if let scan {
            let p = try prefixOption(scan, option: "--scan")
            plan.targets = [ProbePlan.Target(prefix: p)]
            try sweep(plan, kind: kind, sender: how)
            return
        }
        guard !plan.targets.isEmpty else {
            throw ValidationError("nothing to probe: give --target PREFIX or a --config with [[probe.target]] (probing is off until targets are configured)")
        }
        // Nothing left to probe is an error before a store is opened, with the targets that are not
        // probed named (when there is something to probe, the probe source names them as it starts).
        var unprobed: [String] = []
        do { _ = try ProbeSource.blockTable(plan) { unprobed.append($0) } } catch {
            unprobed.forEach(logLine)
            throw ValidationError("\(error)")
        }
        // The prober alone through the observatory's services (`vigil serve` with only a [probe] section):
        // no routes, so down blocks are judged without routing evidence.
        cfg.probe = plan
        cfg.probeSocket = kindName
        cfg.probeSender = how.rawValue
        cfg.listen = []
        cfg.bmpListen = []
        cfg.peers = []
        cfg.follows = []
        cfg.archiveDirectory = nil
        cfg.statusFile = nil
        let dbPath = db ?? (config != nil ? cfg.database : "vigil.db")
        cfg.database = dbPath.flatMap { $0.isEmpty ? nil : $0 }
        cfg.eventsFile = eventsFile ?? cfg.eventsFile
        try await runObservatory(cfg, mode: .probe(rounds: rounds), configPath: config, seconds: nil)
    }

    /// One probe to every allowed address of the (single) target: the benchmark path.
    func sweep(_ plan: ProbePlan, kind: SocketKind, sender: Sender) throws {
        let p = plan.targets[0].prefix
        guard !p.isIPv6 || p.length >= 104 else { throw ValidationError("--scan: an IPv6 prefix must be /104 or longer") }
        guard p.isIPv6 || p.length >= 8 else { throw ValidationError("--scan: an IPv4 prefix must be /8 or longer") }
        // A sweep probes every address: beyond a /16's worth it is a scan of someone's network by mistake more often than not.
        let limit = p.isIPv6 ? 112 : 16
        guard force || p.length >= limit else {
            throw ValidationError("--scan \(p): \(1 << (p.address.bitWidth - Int(p.length))) addresses; sweeps larger than /\(limit) (65,536 addresses) need --force")
        }
        let size = 1 << (p.address.bitWidth - Int(p.length))
        var addresses: [IPAddress] = []
        addresses.reserveCapacity(size)
        for i in 0..<size {
            let a = ProbePlan.address(in: p, index: UInt64(i))
            if plan.allows(a) { addresses.append(a) }
        }
        let prober: Prober
        do { prober = try ProbeSource.prober(plan, kind: kind, sender: sender, hint: "try --socket datagram") } catch { throw ValidationError("\(error)") }
        let results = prober.probe(addresses)
        let s = prober.lastStats
        let answered = results.reduce(0) { $0 + ($1.answered > 0 ? 1 : 0) }
        print("{\"prefix\":\"\(p)\",\"targets\":\(addresses.count),\"sent\":\(s.sent),\"answered\":\(answered),\"unmatched\":\(s.unmatched),\"send_errors\":\(s.sendErrors),\"kernel_timestamps\":\(s.kernelTimestamps),\"frames\":\(s.frames),\"send_seconds\":\(s.sendSeconds),\"total_seconds\":\(s.totalSeconds),\"rate\":\(s.sendSeconds > 0 ? Double(s.sent) / s.sendSeconds : 0)}")
    }

    func listBlocks() async throws {
        var path = db ?? "vigil.db"
        if db == nil, let config, let text = try? String(contentsOfFile: config, encoding: .utf8),
           let cfg = try? CollectConfig(toml: text, file: config, forProbing: true), let d = cfg.database {
            path = d
        }
        let records = try await Stores.open(path, readOnly: true).blocks(entity: nil)
        print(["block", "entity", "state", "belief", "availability", "responsive", "census", "why"].joined(separator: "\t"))
        for b in records {
            print([b.block.description, b.entity, b.state.rawValue, String(format: "%.3f", b.belief), String(format: "%.2f", b.availability),
                   "\(b.responsive)", b.censusAt == 0 ? "-" : UTCTime.format(b.censusAt), b.why].joined(separator: "\t"))
        }
    }
}
