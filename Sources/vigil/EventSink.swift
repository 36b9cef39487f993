import ArgumentParser
import BGPWire
import Foundation
import MRT
import Probing
import Signals

/// A progress or log line on standard error, stamped with the time (`vigil collect`, `vigil probe`).
func logLine(_ s: String) {
    printError("\(UTCTime.format(Int64(Date().timeIntervalSince1970)))  \(s)")
}

/// A prober for a plan, with what to do when the sockets are refused.
func makeProber(_ plan: ProbePlan, kind: SocketKind, sender: Sender, hint: String) throws -> Prober {
    do { return try Prober(rate: plan.rate, timeout: plan.timeout, kind: kind, sender: sender) } catch {
        throw ValidationError("\(error) (raw ICMP sockets need root or CAP_NET_RAW; \(hint))")
    }
}

/// Where `vigil collect` and `vigil probe` report event changes as they happen:
/// a line on standard output, and a JSON line in the events file (if set).
final class EventSink: @unchecked Sendable {
    let file: FileHandle?
    let lock = NSLock()

    init(path: String?) throws {
        file = try path.map { path in
            if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
            guard let h = FileHandle(forWritingAtPath: path) else { throw ValidationError("\(path): cannot write events") }
            h.seekToEndOfFile()
            return h
        }
    }

    /// `latency`: for live openings, seconds since the evidence arrived.
    func report(_ change: Detector.Change, latency: Double? = nil) {
        let e = change.event
        lock.lock()
        defer { lock.unlock() }
        switch change {
        case .opened:
            let after = latency.map { String(format: ", %.2f s after the last withdrawal", $0) } ?? ""
            print("\(UTCTime.format(e.start))  OPEN       \(e.entity) \(e.kind.rawValue) (\(e.cause.rawValue))\(after)")
        case .closed:
            print("\(UTCTime.format(e.end ?? e.start))  \(e.kind == .outage ? "RECOVERED" : "ENDED    ")  \(e.entity) \(e.kind.rawValue) after \(EventFormat.duration(e))")
        case .updated:
            break
        }
        fflush(nil)
        guard let out = file else { return }
        let what = switch change { case .opened: "opened"; case .updated: "updated"; case .closed: "closed" }
        var line = "{\"change\":\"\(what)\"," + EventFormat.json(e).dropFirst()
        if case .opened = change, let l = latency { line = String(line.dropLast()) + ",\"detected_after_s\":\(String(format: "%.3f", l))}" }
        out.write(Data((line + "\n").utf8))
    }
}
