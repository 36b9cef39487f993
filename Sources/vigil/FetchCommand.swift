import ArgumentParser
import MRT
import Replay

struct FetchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Download RIPE RIS and RouteViews archives for a collector and time range into a local cache.",
        discussion: """
            Files go to CACHE/COLLECTOR/YYYY.MM/NAME; files already there are not fetched again, \
            and a download cut short (a .part file) is resumed. Then replay them with
            `vigil replay --collector COLLECTOR --from T --until T`.

            Examples:
              vigil fetch --collector rrc00 --from 2014-12-22T12:00Z --until 2014-12-23T04:00Z
              vigil fetch --collector route-views2 --type updates --from 2014-12-27 --until 2014-12-28
            """
    )

    enum Kind: String, ExpressibleByArgument, CaseIterable { case rib, updates, both }

    @Option(name: .customLong("collector"), help: "rrc00…rrc26 (RIPE RIS) or route-views2, route-views.linx, … (RouteViews).")
    var collectors: [String] = []
    @Option(transform: TimeArgument.parse) var from: TimeArgument
    @Option(transform: TimeArgument.parse) var until: TimeArgument
    @Option(name: .customLong("type")) var kind: Kind = .both
    @Option(help: "Base URL of a mirror with the project's directory layout.") var mirror: String?
    @Option(help: "Cache directory.") var cache: String = "vigil-cache"
    @Option(help: "Downloads at once.") var jobs: Int = 4

    func validate() throws {
        guard !collectors.isEmpty else { throw ValidationError("name at least one --collector") }
        for c in collectors where ArchiveLayout(collector: c) == nil {
            throw ValidationError("unknown collector \(c): use rrcNN (RIPE RIS) or route-views… (RouteViews)")
        }
        guard until.seconds > from.seconds else { throw ValidationError("--until must be after --from") }
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
    }

    func run() async throws {
        var files: [ArchiveLayout.File] = []
        for c in collectors {
            let layout = ArchiveLayout(collector: c, mirror: mirror)!
            let kinds: [ArchiveLayout.Kind] = kind == .both ? [.rib, .updates] : [kind == .rib ? .rib : .updates]
            for k in kinds {
                files += k == .rib ? Array(layout.files(kind: .rib, from: from.seconds, until: from.seconds + 1))
                                   : layout.files(kind: k, from: from.seconds, until: until.seconds)
            }
        }
        let fetcher = Fetcher(cache: cache, jobs: jobs)
        let bar = ProgressBar()
        fetcher.progress = { done, total, bytes in bar.update(bytes: done, total: total, elements: Int(bytes), unit: "bytes", force: true) }
        let r = await fetcher.fetch(files)
        bar.done()
        printError("\(files.count) files: \(r.downloaded) downloaded (\(r.bytes) bytes), \(r.alreadyCached) already cached, \(r.missing.count) missing on the server, \(r.failed.count) failed; cache \(cache)")
        if !r.failed.isEmpty { throw ExitCode(1) }
    }
}
