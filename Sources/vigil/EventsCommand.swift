import ArgumentParser
import Entities
import Signals
import Store

struct EventsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Print stored outage, instability and degradation events.",
        discussion: """
            Examples:
              vigil events
              vigil events AS131279 --from 2014-12-22 --until 2014-12-28 --format json
            """
    )
    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json }

    @Argument(help: "Entity (all when left out).") var entity: String?
    @Option(transform: TimeArgument.parse) var from: TimeArgument?
    @Option(transform: TimeArgument.parse) var until: TimeArgument?
    @Option var format: Format = .table
    @Option(help: "SQLite database file.") var db: String = "vigil.db"
    @Flag(help: "Also show annotations: blips (losses shorter than an outage) and vantage points' feed events.")
    var all = false
    @Flag(help: "Most severe first (severity: share lost × hours × size), instead of by start time.")
    var bySeverity = false

    func validate() throws {
        if let e = entity { _ = try entityOption(e) }
        try validateRange(from, until)
    }

    func run() throws {
        var events = try Stores.open(db, readOnly: true).events(entity: entity.flatMap(Entity.init)?.description, from: from?.seconds, until: until?.seconds)
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
