import ArgumentParser
import BGPWire
import Entities
import MRT
import Routing
import Signals
import Store

struct EntitiesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "entities",
        abstract: "Import and show what Vigil knows about countries, ASes and prefixes.",
        subcommands: [Import.self, Show.self]
    )

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load RIR delegated-extended statistics files (all five RIRs' format; plain, gzip or bzip2).",
            discussion: """
                Replaces the stored delegations with those in the files named, so name all of them at once:
                  vigil entities import delegated-*-extended-latest
                """
        )
        @Argument(help: "delegated-extended files") var files: [String]
        @Option(help: "The store: a SQLite file or a postgres:// URL.") var db: String = "vigil.db"

        func run() async throws {
            var map = EntityMap()
            var skipped = 0
            for f in files {
                let text: String
                do { text = String(decoding: try readWholeInput(f), as: UTF8.self) } catch {
                    printError("vigil: \(error)")
                    throw ExitCode(1)
                }
                for e in map.addDelegated(text, file: f) {
                    skipped += 1
                    if skipped <= 20 { printError("vigil: \(e)") }
                }
            }
            map.finish()
            try await Stores.open(db).saveEntityMap(map)
            printError("imported \(map.asnRanges.count) AS ranges, \(map.v4Blocks.count) IPv4 and \(map.v6Blocks.count) IPv6 blocks into \(db)")
            if skipped > 0 {
                printError("vigil: \(skipped) lines skipped (reported above\(skipped > 20 ? ", first 20" : ""))")
                throw ExitCode(1)
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show an entity: its ASes, address blocks and the prefixes seen in BGP.",
            discussion: "Examples:\n  vigil entities show KP\n  vigil entities show AS131279\n  vigil entities show 175.45.176.0/22"
        )
        @Argument var entity: String
        @Option(help: "The store: a SQLite file or a postgres:// URL.") var db: String = "vigil.db"
        @Option(help: "MaxMind DB (GeoLite2 Country/City) to place addresses in countries.") var mmdb: String?

        func validate() throws {
            _ = try entityOption(entity)
        }

        func run() async throws {
            let store = try await Stores.open(db)
            let map = try await store.loadEntityMap()
            let lookup = CountryLookup(map, mmdb: try mmdb.map { try MMDB(path: $0) })
            let origins = try await store.prefixOrigins()
            func space(_ ps: [Prefix]) -> String {
                var t4 = PrefixTrie<Bool>(ipv6: false), t6 = PrefixTrie<Bool>(ipv6: true)
                for p in ps { if p.isIPv6 { t6.insert(p, true) } else { t4.insert(p, true) } }
                return "\(fmt(t4.coveredSpace(unitLength: 24))) /24s IPv4, \(fmt(t6.coveredSpace(unitLength: 48))) /48s IPv6"
            }
            switch Entity(entity)! {
            case let .country(cc):
                let asns = map.asnRanges.filter { $0.country == cc }
                let blocks = (map.v4Blocks + map.v6Blocks).filter { $0.country == cc }.map(\.prefix)
                let seen = origins.filter { lookup.country(of: $0.prefix) == cc }
                print("\(cc): country")
                print("  AS numbers registered: \(asns.map { $0.start == $0.end ? "AS\($0.start)" : "AS\($0.start)-AS\($0.end)" }.joined(separator: " "))")
                print("  address blocks delegated (\(space(blocks))): \(blocks.map(\.description).joined(separator: " "))")
                print("  prefixes seen in BGP (\(space(seen.map(\.prefix)))):")
                for o in seen { print("    \(o.prefix) origin AS\(o.origin)") }
            case let .asn(a):
                let seen = origins.filter { $0.origin == a }
                print("AS\(a): country \(map.country(ofASN: a) ?? "unknown")")
                print("  prefixes originated in BGP (\(space(seen.map(\.prefix)))):")
                for o in seen { print("    \(o.prefix) (\(lookup.country(of: o.prefix) ?? "country unknown"))") }
            case let .prefix(p):
                let inside = origins.filter { p.contains($0.prefix) }
                print("\(p): delegated to \(lookup.country(of: p) ?? "unknown country")")
                print("  prefixes seen in BGP inside it (\(space(inside.map(\.prefix)))):")
                for o in inside { print("    \(o.prefix) origin AS\(o.origin)") }
            }
            if origins.isEmpty { printError("vigil: no replay stored yet: run vigil replay for BGP data") }
            if map.isEmpty { printError("vigil: no delegations imported: run vigil entities import") }
        }

        func fmt(_ v: Double) -> String { NumberText.decimal(v) }
    }
}
