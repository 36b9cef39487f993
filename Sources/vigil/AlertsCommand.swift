import ArgumentParser
import Alerts
import BGPWire
import Config
import Foundation
import Logging
import Store

struct AlertsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts",
        abstract: "The alert outbox and its history, test messages, silences.",
        subcommands: [AlertsList.self, AlertsTest.self, AlertsSilence.self]
    )
}

/// The store named by --db, else by the configuration's [store].
private func alertStore(db: String?, config: String?, readOnly: Bool) async throws -> any SeriesStore {
    if let db { return try await Stores.open(db, readOnly: readOnly) }
    if let config {
        let cfg = try readConfig(config)
        return try await Stores.open(cfg.database, readOnly: readOnly, vantage: cfg.vantage)
    }
    return try await Stores.open("vigil.sqlite", readOnly: readOnly)
}

struct AlertsList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Show the outbox: messages pending, delivered and silenced, newest first, with their attempts.",
        discussion: """
            Examples:
              vigil alerts list --config vigil.toml
              vigil alerts list --db postgres://vigil@db.example/vigil --attempts
            """
    )
    @Option(help: "The store: a SQLite file or a postgres:// URL (default: the configuration's, else vigil.sqlite).") var db: String?
    @Option(help: "The configuration whose [store] holds the outbox.") var config: String?
    @Option(help: "How many messages.") var limit = 50
    @Flag(help: "Also list every delivery attempt.") var attempts = false

    func run() async throws {
        let store = try await alertStore(db: db, config: config, readOnly: true)
        let items = try await store.alertOutbox(limit: limit)
        if items.isEmpty { print("no alerts") }
        for i in items {
            let state = i.delivered.map { "delivered \(UTCTime.format($0))" }
                ?? (i.nextTry == OutboxItem.never ? "silenced" : "pending (\(i.attempts) tries, next \(UTCTime.format(i.nextTry)))")
            let error = i.delivered == nil && !i.lastError.isEmpty ? "  \(i.lastError)" : ""
            print("\(UTCTime.format(i.created))  \(i.channel)  \(i.notice)  \(state)\(error)")
        }
        if attempts {
            for a in try await store.alertAttempts(limit: limit * 4) {
                print("\(UTCTime.format(a.at))  try  \(a.channel)  \(a.notice)  \(a.delivered ? "ok" : "failed")  \(a.detail)")
            }
        }
    }
}

struct AlertsTest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Send a test message to one channel now, and say what the receiver answered.",
        discussion: "Example: vigil alerts test ops-webhook --config vigil.toml"
    )
    @Argument(help: "The [[channel]]'s name.") var channel: String
    @Option(help: "The configuration naming the channel.") var config: String = "vigil.toml"

    func run() async throws {
        let cfg = try readConfig(config)
        guard let ch = cfg.alerts.channels.first(where: { $0.name == channel }) else {
            throw ValidationError("\(config): no [[channel]] named '\(channel)' (there are: \(cfg.alerts.channels.map(\.name).joined(separator: ", ")))")
        }
        let item = Dispatcher.test(channel: ch.name, vantage: cfg.vantage, link: cfg.alerts.link, now: Int64(Date().timeIntervalSince1970))
        let deliverer = Deliverer(store: MemoryStore(), config: cfg.alerts, logger: Logger(label: "vigil"))
        let (ok, detail) = await deliverer.send(item, ch)
        try? await deliverer.close()
        print("\(ch.name) (\(ch.kind.rawValue), \(ch.url)): \(ok ? "delivered" : "NOT delivered"): \(detail)")
        if !ok { throw ExitCode(1) }
    }
}

struct AlertsSilence: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "silence",
        abstract: "Silence alerts about an entity (or names starting with a prefix ending in *) for a while.",
        discussion: """
            A running observatory sees the silence within 10 seconds. Silenced messages are recorded, not sent.
            Examples:
              vigil alerts silence AS131279 --for 2h --reason "planned maintenance" --config vigil.toml
              vigil alerts silence 'AS645*' --for 30m --db vigil.sqlite
            """
    )
    @Argument(help: "Entity name, or a prefix ending in *.") var entity: String
    @Option(name: .customLong("for"), help: "How long: 30m, 2h, 1d.") var duration: String
    @Option(help: "Why (shown in the outbox).") var reason = ""
    @Option(help: "The store: a SQLite file or a postgres:// URL (default: the configuration's).") var db: String?
    @Option(help: "The configuration whose [store] the observatory uses.") var config: String?

    func run() async throws {
        guard let secs = CollectConfig.parseDuration(duration), secs > 0 else { throw ValidationError("--for: '\(duration)' is not a duration like 30m, 2h or 1d") }
        guard !entity.isEmpty else { throw ValidationError("name an entity") }
        let store = try await alertStore(db: db, config: config, readOnly: false)
        let now = Int64(Date().timeIntervalSince1970)
        try await store.addSilence(Silence(entity: entity, from: now, until: now + secs, reason: reason))
        print("silenced \(entity) until \(UTCTime.format(now + secs))")
    }
}
