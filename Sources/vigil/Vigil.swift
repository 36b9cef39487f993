import ArgumentParser
import MRT
#if canImport(Glibc)
import Glibc
#endif

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
                      SimulateCommand.self, DemoCommand.self, EvaluateCommand.self, ServeCommand.self, StatusCommand.self, CollectCommand.self,
                      ProbeCommand.self]
    )

    /// As ArgumentParser's own main, except that a ValidationError thrown while a
    /// subcommand runs shows that subcommand's usage: ArgumentParser only knows the
    /// subcommand while parsing, and would print "Usage: vigil <subcommand>".
    static func main() async {
        let command: any ParsableCommand
        do { command = try parseAsRoot() } catch { exit(withError: error) }
        do {
            if var c = command as? any AsyncParsableCommand { try await c.run() } else {
                var c = command
                try c.run()
            }
        } catch let e as ValidationError {
            let type = Swift.type(of: command)
            printError("Error: \(e.message)\nUsage: \(usageString(for: type))\n  See '\(commandPath(to: type).joined(separator: " ")) --help' for more information.")
            Glibc.exit(ExitCode.validationFailure.rawValue)
        } catch {
            exit(withError: error)
        }
    }

    /// The names from `vigil` down to a subcommand: `vigil entities import`.
    static func commandPath(to target: any ParsableCommand.Type, from root: any ParsableCommand.Type = Vigil.self) -> [String] {
        if ObjectIdentifier(root) == ObjectIdentifier(target) { return [root._commandName] }
        for sub in root.configuration.subcommands {
            let path = commandPath(to: target, from: sub)
            if !path.isEmpty { return [root._commandName] + path }
        }
        return []
    }
}
