public import BGPWire

/// One entity's data-plane signals for one probing round (the data plane's bin):
/// what its address blocks answered. Stored beside the BGP `SeriesRow`s.
public struct ProbeRow: Hashable, Sendable, Codable {
    public var entity: String
    /// Start of the round, seconds since 1970 (UTC).
    public var time: Int64
    /// Blocks probed, and those judged (response rate ≥ the judging threshold).
    public var blocks: Int
    public var judged: Int
    /// Judged blocks by belief: up (> 0.9), down (< 0.1), uncertain (in between).
    public var up: Int
    public var down: Int
    public var uncertain: Int
    public var sent: Int
    public var answered: Int
    /// RTT of the answered probes, seconds (0 when none answered).
    public var rttMedian: Double
    public var rttP95: Double

    /// Share of this round's probes that went unanswered.
    public var loss: Double { sent > 0 ? Double(sent - answered) / Double(sent) : 0 }

    public init(entity: String, time: Int64, blocks: Int = 0, judged: Int = 0, up: Int = 0, down: Int = 0, uncertain: Int = 0,
                sent: Int = 0, answered: Int = 0, rttMedian: Double = 0, rttP95: Double = 0) {
        self.entity = entity
        self.time = time
        self.blocks = blocks
        self.judged = judged
        self.up = up
        self.down = down
        self.uncertain = uncertain
        self.sent = sent
        self.answered = answered
        self.rttMedian = rttMedian
        self.rttP95 = rttP95
    }

    public static let signalNames = ["blocks", "judged", "up", "down", "uncertain", "sent", "answered", "loss", "rtt_median", "rtt_p95"]

    public func value(_ signal: String) -> Double? {
        switch signal {
        case "blocks": Double(blocks)
        case "judged": Double(judged)
        case "up": Double(up)
        case "down": Double(down)
        case "uncertain": Double(uncertain)
        case "sent": Double(sent)
        case "answered": Double(answered)
        case "loss": loss
        case "rtt_median": rttMedian
        case "rtt_p95": rttP95
        default: nil
        }
    }
}

/// What one round concluded about one block, for diagnosis: the caller looks up
/// whether a down block is still routed.
public struct BlockVerdict: Hashable, Sendable {
    public enum State: String, Sendable, Codable { case up, down, uncertain, unjudged }
    /// The /24 (or /48).
    public var block: Prefix
    public var entity: String
    public var state: State
    public var belief: Double
    public init(block: Prefix, entity: String, state: State, belief: Double) {
        self.block = block
        self.entity = entity
        self.state = state
        self.belief = belief
    }
}

/// A probed block as the store keeps it: what it is, why it is probed, and what is known of it.
public struct BlockRecord: Hashable, Sendable {
    public var block: Prefix
    public var entity: String
    public var why: String
    public var state: BlockVerdict.State
    public var belief: Double
    public var availability: Double
    /// Ever-responsive addresses found by censuses.
    public var responsive: Int
    /// Unix seconds of the last census (0: none yet).
    public var censusAt: Int64
    public init(block: Prefix, entity: String, why: String, state: BlockVerdict.State, belief: Double, availability: Double,
                responsive: Int, censusAt: Int64) {
        self.block = block
        self.entity = entity
        self.why = why
        self.state = state
        self.belief = belief
        self.availability = availability
        self.responsive = responsive
        self.censusAt = censusAt
    }
}
