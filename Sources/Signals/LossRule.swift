/// What both detectors — per bin and per second — call a loss, its cause and its
/// words: one code path, so replay and live operation judge alike.
struct LossRule {
    var warningDrop: Double
    var criticalDrop: Double
    var tinyUnits: Double

    /// Whether `space` is down against `base`: by the warning share, or for a tiny
    /// entity by any whole unit. `drop` is the share lost (0–1).
    func judge(base: Double, space: Double) -> (down: Bool, drop: Double) {
        guard base > 0 else { return (false, 0) }
        let lost = base - space
        let drop = min(1, max(0, lost) / base)
        return (drop >= warningDrop || (base <= tinyUnits && lost >= 1 - 1e-9), drop)
    }

    func level(_ scope: Double) -> String { scope >= criticalDrop ? "critical" : "warning" }

    /// Space leaves the present set only when nearly every full-feed peer withdrew it; with no
    /// withdrawal seen and no prefix less visible than before, the signals disagree.
    static func cause(withdrawals: Bool, before: SeriesRow?, worst: SeriesRow) -> Event.Cause {
        withdrawals || worst.meanVisibility < (before?.meanVisibility ?? 0) - 1e-9 || worst.visiblePrefixes < (before?.visiblePrefixes ?? 0)
            ? .bgpWithdrawal : .unknown
    }

    static func note(_ cause: Event.Cause, scope: Double, preceded: Bool) -> String {
        var note = cause != .bgpWithdrawal ? "routed space fell but peer visibility did not: signals disagree"
            : scope < 0.99 ? "\(Int((scope * 100).rounded()))% of the entity's space withdrawn by nearly every full-feed peer"
            : "routes withdrawn by nearly every full-feed peer"
        if preceded { note += "; preceded by route instability" }
        return note
    }
}
