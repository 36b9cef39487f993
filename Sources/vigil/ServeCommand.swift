import ArgumentParser
import Config
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import MRT
import Service

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the observatory: every configured source through one pipeline, events as they happen.",
        discussion: """
            One long-running process for everything the configuration names (README.md, "vigil serve"): \
            the BGP collector and BMP station, the prober, and archive followers that feed a collector's \
            published files (a local folder, or a RIS or RouteViews mirror over HTTP) as they appear. \
            Event changes go to standard output and the events file; logs to standard error; metrics \
            (Prometheus) and the status at http://127.0.0.1:9473 unless [metrics] says otherwise. \
            SIGTERM or SIGINT stop it (the pipeline first, then the sources, the archives completed); \
            SIGHUP reloads the watch list; SIGUSR1 writes a RIB snapshot.

            Examples:
              vigil serve --config vigil.toml
              vigil serve --config vigil.toml --check
              vigil serve --db nk.db                  (a viewer: the API on a replayed database)
              vigil status --config vigil.toml
            """
    )

    @Option(help: "Configuration file (TOML).")
    var config: String = "vigil.toml"

    @Option(help: "Without sources: serve the API on this database (a file or postgres://…), read-only.")
    var db: String?

    @Option(help: "With --db: where to listen (HOST:PORT; default 127.0.0.1:9473).")
    var listen: String?

    @Flag(help: "Check the configuration and exit.")
    var check = false

    @Option(help: "Stop after this many seconds (for tests and benchmarks).")
    var runFor: Double?

    func run() async throws {
        if let db {
            try await view(db)
            return
        }
        if listen != nil { throw ValidationError("--listen goes with --db (a served observatory listens where [metrics] listen says)") }
        let cfg = try readConfig(config)
        if check {
            var parts = ["\(cfg.peers.count) peers", "listening on \(cfg.listen.count) addresses", "BMP on \(cfg.bmpListen.count)"]
            if !cfg.follows.isEmpty { parts.append("following \(cfg.follows.map(\.name).joined(separator: ", "))") }
            if let p = cfg.probe { parts.append("probing \(p.targets.count) targets") }
            print("\(config): OK: \(parts.joined(separator: ", "))")
            return
        }
        try await runObservatory(cfg, mode: .serve, configPath: config, seconds: runFor)
    }
}

extension ServeCommand {
    /// A viewer: no sources, the store read-only, the API on `--listen`.
    func view(_ db: String) async throws {
        let listen = try self.listen.map { text in
            guard let l = CollectConfig.parseListen(text) else { throw ValidationError("--listen: '\(text)' is not HOST:PORT (IPv6 as [ADDR]:PORT)") }
            return l
        } ?? CollectConfig.defaultMetricsListen
        if !db.hasPrefix("postgres"), !FileManager.default.fileExists(atPath: db) {
            throw ValidationError("--db: \(db): no such file (replay into it first: vigil replay --db \(db) …)")
        }
        LoggingSystem.bootstrap { LineLogHandler(label: $0, level: .info) }
        do { try await Viewer.run(database: db, listen: listen, logger: Logger(label: "vigil"), seconds: runFor) } catch {
            printError("vigil: \(error)")
            throw ExitCode(1)
        }
    }
}

/// Reads the application's TOML, or exits 2 with `file:line: key: what`.
func readConfig(_ path: String) throws -> CollectConfig {
    let text: String
    do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
        throw ValidationError("\(path): cannot read: \(error.localizedDescription)")
    }
    do { return try CollectConfig(toml: text, file: path) } catch let p as CollectConfig.Problem {
        printError("vigil: \(p.description)")
        throw ExitCode(2)
    }
}

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show a running observatory's status: sources and their health, sessions, open events.",
        discussion: """
            Asks the running `vigil serve` at its metrics address ([metrics] listen in the \
            configuration, 127.0.0.1:9473 by default) for /status.

            Examples:
              vigil status
              vigil status --config vigil.toml --json
              vigil status --url http://127.0.0.1:9473
            """
    )

    @Option(help: "Configuration file (TOML) of the running observatory.")
    var config: String?

    @Option(help: "The observatory's address (instead of the configuration's).")
    var url: String?

    @Flag(help: "Print the status as JSON.")
    var json = false

    func run() async throws {
        var base = url
        if base == nil {
            let cfg = try config.map(readConfig) ?? CollectConfig()
            if cfg.metricsOff { throw ValidationError("\(config ?? "vigil.toml"): [metrics] listen is off: no status to ask for") }
            let l = cfg.metricsListen ?? CollectConfig.defaultMetricsListen
            let host = l.host == "0.0.0.0" ? "127.0.0.1" : l.host == "::" ? "::1" : l.host
            base = "http://\(host.contains(":") ? "[\(host)]" : host):\(l.port)"
        }
        guard let u = URL(string: base! + "/status") else { throw ValidationError("'\(base!)' is not a URL") }
        let data: Data
        do {
            var req = URLRequest(url: u)
            req.timeoutInterval = 5
            let (d, response) = try await URLSession.shared.data(for: req)
            guard (response as? HTTPURLResponse)?.statusCode == 200 else { throw ValidationError("\(u): \(response)") }
            data = d
        } catch let e as ValidationError { throw e } catch {
            printError("vigil: \(u): \(error.localizedDescription) (is vigil serve running?)")
            throw ExitCode(1)
        }
        if json {
            print(String(decoding: data, as: UTF8.self))
            return
        }
        let s = try JSONDecoder().decode(StatusReport.self, from: data)
        print(s.table(), terminator: "")
    }
}
