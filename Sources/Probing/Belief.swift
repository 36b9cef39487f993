/// Trinocular's belief that a block is up (Quan, Heidemann, Pradkin, SIGCOMM 2013),
/// updated by Bayes' rule after each probe of one of the block's ever-responsive
/// addresses. `availability` (A) is the chance such an address answers when the
/// block is up; a down block answers only by accident (a spoofed or misrouted
/// reply, `falseReply`). A block is up above 0.9, down below 0.1, and uncertain
/// in between: a sparse block (low A) may need more probes than a round allows,
/// and then it is reported uncertain rather than forced either way.
public enum Belief {
    public static let up = 0.9
    public static let down = 0.1
    /// P(reply | block down).
    public static let falseReply = 0.01
    /// Beliefs are kept inside [floor, ceiling] so that after a long outage (or
    /// a long quiet spell) two or three probes still change the verdict.
    public static let floor = 0.01
    public static let ceiling = 0.99
    /// Blocks answering less than this are not judged (Trinocular's A ≥ 0.1).
    public static let minimumAvailability = 0.1

    public static func update(_ belief: Double, availability a: Double, answered: Bool) -> Double {
        let a = min(max(a, minimumAvailability), ceiling)
        let pUp = answered ? a : 1 - a
        let pDown = answered ? falseReply : 1 - falseReply
        let b = pUp * belief / (pUp * belief + pDown * (1 - belief))
        return min(max(b, floor), ceiling)
    }

    public enum Verdict: UInt8, Sendable { case uncertain, up, down, unjudged }

    public static func verdict(_ belief: Double) -> Verdict {
        belief > up ? .up : belief < down ? .down : .uncertain
    }
}
