import MRT
import Replay
#if canImport(Glibc)
import Glibc
#endif

/// A one-line progress bar with rate and ETA on standard error, only when it is a terminal.
final class ProgressBar: @unchecked Sendable {  // updated from one task at a time
    let enabled = isatty(2) != 0
    let started = monotonicSeconds()
    var last = 0.0

    func update(bytes: Int, total: Int, elements: Int, unit: String = "elements", detail: String = "", force: Bool = false) {
        guard enabled else { return }
        let now = monotonicSeconds()
        guard force || now - last >= 0.2 else { return }
        last = now
        let elapsed = max(now - started, 0.001)
        let share = total > 0 ? min(1, Double(bytes) / Double(total)) : 0
        let width = 30
        let filled = Int(share * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let rate = Double(elements) / elapsed
        let eta = share > 0.01 ? elapsed * (1 - share) / share : 0
        let line = "\r[\(bar)] \(Int(share * 100))%  \(human(Double(elements))) \(unit)  \(rate < 10 ? String(Double(Int(rate * 10)) / 10) : human(rate))/s  ETA \(Int(eta / 60)):\(pad(Int(eta) % 60))  \(detail)\u{1B}[K"
        writeStderr(line)
    }

    func done() { if enabled { writeStderr("\n") } }

    func human(_ v: Double) -> String {
        v >= 1e6 ? "\(Double(Int(v / 1e5)) / 10)M" : v >= 1e3 ? "\(Double(Int(v / 1e2)) / 10)k" : "\(Int(v))"
    }
    func pad(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
}

func writeStderr(_ s: String) {
    var b = Array(s.utf8)
    b.withUnsafeMutableBytes { _ = write(2, $0.baseAddress!, $0.count) }
}
