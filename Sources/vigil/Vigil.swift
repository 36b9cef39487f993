import ArgumentParser

@main
struct Vigil: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigil",
        abstract: "Vigil, an Internet outage observatory: BGP archives, live collection, probing, detection.",
        discussion: """
            Start with `vigil dump -m FILE` to read a BGP routing archive (MRT: RIPE RIS, \
            RouteViews, or any router's dumps; plain, gzip or bzip2).
            """,
        version: "0.1.0",
        subcommands: [Dump.self, ReplayCommand.self, SeriesCommand.self, EventsCommand.self, EntitiesCommand.self, FetchCommand.self,
                      SimulateCommand.self, DemoCommand.self, EvaluateCommand.self]
    )
}
