/// Each collector's messages per minute against its own usual rate. A collector whose share of the
/// stream falls to a trickle while the connection is fine has lost its peers or its feed upstream;
/// what its peers carried can no longer be judged from it. Quiet collectors (a filtered stream)
/// are not judged: below `minimumUsual` messages a minute, a quiet minute is ordinary.
public struct CollectorRates: Sendable {
    /// A collector is low below this share of its usual rate, for `lowFor` seconds.
    public var lowShare = 0.1
    public var lowFor: Int64 = 300
    /// Minutes of history before a usual rate counts, and the smallest usual rate judged.
    public var warmupMinutes = 30
    public var minimumUsual = 60.0

    struct Collector {
        /// An exponentially weighted mean of full minutes (about an hour's memory).
        var usual = 0.0
        var minutes = 0
        var count = 0
        var lowSince: Int64?
    }
    var collectors: [String: Collector] = [:]
    var minute: Int64?
    var connected = false

    public init() {}

    public mutating func message(from collector: String) { collectors[collector, default: Collector()].count += 1 }

    /// The connection's state: minutes that were not connected throughout teach nothing.
    public mutating func setConnected(_ c: Bool) {
        connected = c
        minute = nil
        for k in collectors.keys {
            collectors[k]!.count = 0
            collectors[k]!.lowSince = nil
        }
    }

    /// Closes the minutes that ended by `now` (called often: once a second is fine).
    public mutating func roll(now: Int64) {
        let m = now / 60
        guard let open = minute else {
            if connected { minute = m }
            return
        }
        guard m > open else { return }
        minute = m
        for k in collectors.keys {
            var c = collectors[k]!
            let rate = Double(c.count) / Double(m - open)  // minutes that passed without a call count as quiet ones
            if c.minutes >= warmupMinutes && c.usual >= minimumUsual && rate < c.usual * lowShare {
                if c.lowSince == nil { c.lowSince = open * 60 }
            } else {
                c.lowSince = nil
                // A low minute does not teach the usual rate: the baseline is of the stream when well.
                c.usual = c.minutes == 0 ? rate : c.usual + (rate - c.usual) / 60
                c.minutes += 1
            }
            c.count = 0
            collectors[k] = c
        }
    }

    /// Collectors low for `lowFor` at `now`, in a sentence; nil when none.
    public func problem(now: Int64) -> String? {
        let low = collectors.filter { $0.value.lowSince.map { now - $0 >= lowFor } ?? false }.sorted { $0.key < $1.key }
        guard !low.isEmpty else { return nil }
        return low.map { k, c in "\(k) fell below \(Int(lowShare * 100))% of its usual \(Int(c.usual.rounded())) messages a minute" }
            .joined(separator: "; ")
    }
}
