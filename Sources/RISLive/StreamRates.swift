/// Messages per minute of each part of a stream (a collector, a peer) against its own usual rate.
/// A part whose rate falls to a trickle while the connection is fine has lost its feed upstream;
/// what it carried can no longer be judged from it. Quiet parts are not judged: below
/// `minimumUsual` messages a minute (a filtered stream), a quiet minute is ordinary.
public struct StreamRates<Key: Hashable & Sendable>: Sendable {
    /// A part is low below this share of its usual rate, for `lowFor` seconds.
    public var lowShare = 0.1
    public var lowFor: Int64 = 300
    /// Minutes of history before a usual rate counts, and the smallest usual rate judged.
    public var warmupMinutes = 30
    public var minimumUsual = 60.0

    struct Part {
        /// An exponentially weighted mean of full minutes (about an hour's memory).
        var usual = 0.0
        var minutes = 0
        var count = 0
        var lowSince: Int64?
    }
    var parts: [Key: Part] = [:]
    var minute: Int64?
    var connected = false

    public init() {}

    public mutating func message(from key: Key) { parts[key, default: Part()].count += 1 }

    /// The connection's state: minutes that were not connected throughout teach nothing.
    public mutating func setConnected(_ c: Bool) {
        connected = c
        minute = nil
        for k in parts.keys {
            parts[k]!.count = 0
            parts[k]!.lowSince = nil
        }
    }

    /// A part that ended for a known reason (a session down): forgotten, learnt afresh if it comes back.
    public mutating func forget(_ key: Key) { parts[key] = nil }

    /// Closes the minutes that ended by `now` (called often: once a second is fine).
    public mutating func roll(now: Int64) {
        let m = now / 60
        guard let open = minute else {
            if connected { minute = m }
            return
        }
        guard m > open else { return }
        minute = m
        for k in parts.keys {
            var c = parts[k]!
            let rate = Double(c.count) / Double(m - open)  // minutes that passed without a call count as quiet ones
            if isJudged(c) && rate < c.usual * lowShare {
                if c.lowSince == nil { c.lowSince = open * 60 }
            } else {
                c.lowSince = nil
                // A low minute does not teach the usual rate: the baseline is of the stream when well.
                c.usual = c.minutes == 0 ? rate : c.usual + (rate - c.usual) / 60
                c.minutes += 1
            }
            c.count = 0
            parts[k] = c
        }
    }

    func isJudged(_ c: Part) -> Bool { c.minutes >= warmupMinutes && c.usual >= minimumUsual }

    /// The parts low for `lowFor` at `now`, with their usual rate.
    public func low(now: Int64) -> [(key: Key, usual: Double)] {
        parts.compactMap { k, c in c.lowSince.map { now - $0 >= lowFor } == true ? (k, c.usual) : nil }
    }

    /// How many parts (among those `of` selects) have a usual rate that is judged.
    public func judged(_ of: (Key) -> Bool = { _ in true }) -> Int {
        parts.reduce(0) { $0 + (isJudged($1.value) && of($1.key) ? 1 : 0) }
    }
}
