import ArgumentParser
import Entities
import Signals
import Store

struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Print stored outage, instability and degradation events.",
        discussion: """
            Examples:
              vigil events
              vigil events AS131279 --from 2014-12-22 --until 2014-12-28 --format json
              vigil events --db postgres://vigil@db.example/vigil --agree 2
            """
    )
    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json }

    @Argument(help: "Entity (all when left out).") var entity: String?
    @Option(transform: TimeArgument.parse) var from: TimeArgument?
    @Option(transform: TimeArgument.parse) var until: TimeArgument?
    @Option var format: Format = .table
    @Option(help: "The store: a SQLite file or a postgres:// URL.") var db: String = "vigil.db"
    @Option(help: "One vantage point's events (default: every vantage point's).") var vantage: String?
    @Option(help: "Only what at least N vantage points saw at once, combined (the vantage points that saw it listed).")
    var agree: Int?
    @Flag(help: "Also show annotations: blips (losses shorter than an outage) and vantage points' feed events.")
    var all = false
    @Flag(help: "Most severe first (severity: share lost × hours × size), instead of by start time.")
    var bySeverity = false

    func validate() throws {
        if let e = entity { _ = try entityOption(e) }
        try validateRange(from, until)
        if let n = agree, n < 1 { throw ValidationError("--agree takes a number of vantage points, at least 1 (got \(n))") }
        if agree != nil && vantage != nil { throw ValidationError("--agree combines vantage points: leave out --vantage") }
    }

    func run() async throws {
        let q = EventQuery(entity: entity.flatMap(Entity.init)?.description, from: from?.seconds, until: until?.seconds, vantage: vantage,
                           agreement: agree)
        var events = try await Stores.open(db, readOnly: true).events(q)
        if !all { events = events.filter(\.kind.isAlert) }
        if bySeverity { events.sort { $0.severity > $1.severity } }
        printEvents(events, format: format)
    }
}

func printEvents(_ events: [Event], format: EventsCommand.Format) {
    switch format {
    case .json: for e in events { print(EventFormat.json(e)) }
    case .table: print(events.isEmpty ? "no events" : EventFormat.table(events))
    }
}
