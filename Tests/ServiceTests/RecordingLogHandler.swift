import Logging

/// A log handler that hands each message (its text only) to a closure, at every level.
struct RecordingLogHandler: LogHandler {
    let record: @Sendable (String) -> Void
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]
    init(_ record: @escaping @Sendable (String) -> Void) { self.record = record }
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) { record("\(event.message)") }
}
