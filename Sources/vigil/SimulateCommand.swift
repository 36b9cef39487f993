import ArgumentParser
import BGPWire
import MRT
import Simulator

struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Write a synthetic world as real MRT archives (a RIB and 5-minute updates files).",
        discussion: """
            SCENARIO is a TOML file (format in README.md, "Scenarios") or the name of a bundled \
            one (north-korea-2014).

            Examples:
              vigil simulate north-korea-2014 --out sim/
              vigil simulate --print north-korea-2014 > my.toml && vigil simulate my.toml --out sim/
            """
    )

    @Argument(help: "Scenario file or bundled scenario name.") var scenario: String?
    @Option(help: "Output directory.") var out: String = "vigil-sim"
    @Option(name: .customLong("print"), help: "Print a bundled scenario's TOML and exit.") var printName: String?

    func run() throws {
        if let name = printName {
            guard let text = BundledScenarios.all[name] else { throw ValidationError("no bundled scenario \(name); have: \(BundledScenarios.all.keys.sorted().joined(separator: ", "))") }
            print(text)
            return
        }
        guard let scenario else { throw ValidationError("name a scenario file or a bundled scenario") }
        let s = try loadScenario(scenario)
        var g = Generator(s)
        let o = try g.write(to: out)
        printError("\(s.name): wrote \(o.rib) and \(o.updates.count) updates files (\(o.messages) messages) to \(out)")
    }
}

func loadScenario(_ nameOrPath: String) throws -> Scenario {
    if let text = BundledScenarios.all[nameOrPath] { return try Scenario(toml: text, file: nameOrPath) }
    let bytes: [UInt8]
    do { bytes = try readWholeInput(nameOrPath) } catch { throw ValidationError("\(error)") }
    do { return try Scenario(toml: String(decoding: bytes, as: UTF8.self), file: nameOrPath) } catch {
        throw ValidationError("\(error)")
    }
}
