import Logging

/// A log handler that hands each message (its text) and level to a closure.
struct RecordingLogHandler: LogHandler {
    let record: @Sendable (Logger.Level, String) -> Void
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]
    init(_ record: @escaping @Sendable (Logger.Level, String) -> Void) { self.record = record }
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) { record(event.level, "\(event.message)") }
}

extension Logger {
    /// A logger whose messages go to `record` (level, text).
    static func recording(_ record: @escaping @Sendable (Logger.Level, String) -> Void) -> Logger {
        Logger(label: "test") { _ in RecordingLogHandler(record) }
    }
}
