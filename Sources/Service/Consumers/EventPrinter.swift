import BGPWire
import Foundation
public import Signals

/// A bus consumer: event changes as lines on standard output (the data `vigil serve` and
/// `vigil collect` are asked for) and as JSON lines in the events file, if one is set.
public final class EventPrinter: @unchecked Sendable {
    let file: FileHandle?

    public init(path: String?) throws {
        file = try path.map { path in
            if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
            guard let h = FileHandle(forWritingAtPath: path) else { throw ServiceError("\(path): cannot write events") }
            h.seekToEndOfFile()
            return h
        }
    }

    /// Reads the subscription until the bus finishes.
    public func run(_ subscription: EventBus.Subscription) async {
        for await m in subscription.messages {
            switch m {
            case let .event(change, latency): report(change, latency: latency)
            case let .missed(n): FileHandle.standardError.write(Data("vigil: event printer fell behind: \(n) messages missed\n".utf8))
            default: break
            }
        }
    }

    /// `latency`: for live openings, seconds since the evidence arrived.
    public func report(_ change: Detector.Change, latency: Double? = nil) {
        let e = change.event
        switch change {
        case .opened:
            let after = latency.map { String(format: ", %.2f s after the last withdrawal", $0) } ?? ""
            let history = e.precededByInstability ? ", after instability" : ""
            print("\(UTCTime.format(e.start))  OPEN       \(e.entity) \(e.kind.rawValue) (\(e.cause.rawValue))\(history)\(after)")
        case .closed where e.observationStopped:
            print("\(UTCTime.format(e.end ?? e.start))  STOPPED    \(e.entity) \(e.kind.rawValue) still open after \(EventFormat.duration(e))")
        case .closed:
            print("\(UTCTime.format(e.end ?? e.start))  \(e.kind == .outage ? "RECOVERED" : "ENDED    ")  \(e.entity) \(e.kind.rawValue) after \(EventFormat.duration(e))")
        case .updated:
            break
        }
        fflush(nil)
        file?.write(Data((EventFormat.jsonLine(change, latency: latency) + "\n").utf8))
    }
}
