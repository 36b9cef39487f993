import ArgumentParser
import Dispatch
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
                      ProbeCommand.self, AlertsCommand.self]
    )

    /// As ArgumentParser's own main, except that a ValidationError thrown while a
    /// subcommand runs shows that subcommand's usage: ArgumentParser only knows the
    /// subcommand while parsing, and would print "Usage: vigil <subcommand>".
    ///
    /// The main thread stays alive while an async command runs, waiting for it: with an async
    /// `main` it would leave through `dispatch_main` (pthread_exit), and an exited main thread
    /// keeps the credentials it had — `[process] user` would leave the process listed as root.
    static func main() {
        let command: any ParsableCommand
        do { command = try parseAsRoot() } catch { exit(withError: error) }
        do {
            if let c = command as? any AsyncParsableCommand {
                try runWaiting(Unchecked(c))
            } else {
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

/// A command handed to the task that runs it (the main thread only waits meanwhile).
struct Unchecked: @unchecked Sendable {
    var command: any AsyncParsableCommand
    init(_ c: any AsyncParsableCommand) { command = c }
}

/// Runs an async command on the cooperative pool while the calling (main) thread waits.
func runWaiting(_ c: Unchecked) throws {
    final class Outcome: @unchecked Sendable { var error: (any Error)? }
    let outcome = Outcome()
    let done = DispatchSemaphore(value: 0)
    Task.detached {
        var c = c
        do { try await c.command.run() } catch { outcome.error = error }
        done.signal()
    }
    done.wait()
    if let e = outcome.error { throw e }
}
