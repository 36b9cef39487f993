import ArgumentParser

@main
struct Vigil: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigil",
        abstract: "Vigil, an Internet outage observatory: when a network goes dark, when and why.",
        discussion: """
            Start with `vigil demo` (the North Korea outage of December 2014, replayed from a \
            reconstruction). Read real BGP archives (MRT from RIPE RIS, RouteViews or any router; \
            plain, gzip or bzip2) with `vigil dump -m FILE`; get them with `vigil fetch`; turn them \
            into signals and events with `vigil replay --events`.
            """,
        version: "0.1.0",
        subcommands: [Dump.self, ReplayCommand.self, SeriesCommand.self, EventsCommand.self, EntitiesCommand.self, FetchCommand.self,
                      SimulateCommand.self, DemoCommand.self, EvaluateCommand.self, CollectCommand.self, ProbeCommand.self]
    )
}
