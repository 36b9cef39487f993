public import Logging
import BGPWire
import Foundation

/// Log lines on standard error as people read them: the time, the level when it matters,
/// the message, then the metadata as key=value (`bgp.peer.address=10.0.0.2`). Standard
/// output stays for the data asked for (event lines).
public struct LineLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    let label: String

    public init(label: String, level: Logger.Level) {
        self.label = label
        logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { $1 } }
        var line = UTCTime.format(Int64(Date().timeIntervalSince1970)) + "  "
        if event.level >= .warning { line += "\(event.level): " }
        line += "\(event.message)"
        // The source is said by the message's own words ("follow …", "probe round …"); other keys follow it.
        let keys = all.keys.filter { $0 != "source" }.sorted()
        if !keys.isEmpty { line += "  " + keys.map { "\($0)=\(all[$0]!)" }.joined(separator: " ") }
        line += "\n"
        FileHandle.standardError.write(Data(line.utf8))
    }
}
