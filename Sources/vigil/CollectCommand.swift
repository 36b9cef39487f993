import ArgumentParser
import BGPWire
import Collector
import Config
import Entities
import Foundation
import MRT
import Probing
import Replay
import Routing
import Signals
import Store
import Service
import Logging

struct CollectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "collect",
        abstract: "Run a live BGP collector: peer with routers, archive in MRT, detect outages as they happen.",
        discussion: """
            Peers with routers (passive and active BGP sessions, IPv4 and IPv6 transport; \
            BMP feeds), archives what they send as RIPE RIS does (updates.YYYYMMDD.HHMM.gz every \
            5 minutes, bview.YYYYMMDD.HHMM.gz every 8 hours, under ARCHIVE/NAME/), and feeds the \
            same signals and detector as `vigil replay`, live: an outage of a watched entity \
            opens within seconds of the last peer withdrawing its routes. Everything is set in \
            one TOML file (README.md, "Live collector"). Stop with Ctrl-C (SIGINT) or SIGTERM: \
            the current archive files are completed.

            Examples:
              vigil collect --config vigil.toml
              vigil collect --config vigil.toml --status
            """
    )

    @Option(help: "Configuration file (TOML).")
    var config: String = "vigil.toml"

    @Flag(help: "Print the running collector's status (from its status file) and exit.")
    var status = false

    @Flag(help: "Check the configuration and exit.")
    var check = false

    @Option(help: "Stop after this many seconds (for tests and benchmarks).")
    var runFor: Double?

    func run() async throws {
        let cfg = try readConfig(config)
        if check {
            let probing = cfg.probe.map { ", probing \($0.targets.count) targets" } ?? ""
            print("\(config): OK: \(cfg.peers.count) peers, listening on \(cfg.listen.count) addresses, BMP on \(cfg.bmpListen.count)\(probing)")
            return
        }
        if status {
            guard let path = cfg.statusFile else { throw ValidationError("\(config): store.status_file is not set") }
            guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("\(path): no status (is the collector running?)") }
            let s = try JSONDecoder().decode(StatusReport.self, from: data)
            print(s.table())
            return
        }
        try await runObservatory(cfg, mode: .collect, configPath: config, seconds: runFor)
    }
}

/// Runs an observatory to its end from a synchronous command (collect, serve): logging set
/// up once for the process, errors of the sources (a port in use, sockets refused) reported.
func runObservatory(_ cfg: CollectConfig, mode: Observatory.Mode, configPath: String?, seconds: Double?) async throws {
    let level = Logger.Level(rawValue: cfg.logLevel) ?? .info
    LoggingSystem.bootstrap { LineLogHandler(label: $0, level: level) }
    let logger = Logger(label: "vigil")
    let observatory: Observatory
    do { observatory = try await Observatory(cfg, mode: mode, configPath: configPath, logger: logger) } catch {
        throw ValidationError("\(error)")
    }
    do { try await observatory.run(seconds: seconds) } catch {
        printError("vigil: \(error)")
        throw ExitCode(1)
    }
}
