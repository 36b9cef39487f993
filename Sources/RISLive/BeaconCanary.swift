public import BGPWire

/// The RIS routing beacons as a canary for the stream. RIPE announces each beacon prefix (origin
/// AS12654) every four hours from 00:00 UTC and withdraws it two hours later; every collector's
/// peers carry both changes within minutes. A stream that is connected and yet does not bring
/// them is broken in a way silence alone does not show (a stuck subscription, a collector cut off
/// upstream, messages lost), and what it says of every other prefix cannot be trusted.
///
/// A scheduled change is judged once `grace` has passed, and only if the stream was connected
/// from `grace` before the scheduled time on (a change missed while disconnected is the disconnection's, already
/// reported). It is heard when at least half of the beacons showed it: RIPE retiring one beacon
/// must not raise an alarm for ever.
public struct BeaconCanary: Sendable {
    /// RIS beacons (IPv4 /24s and IPv6 /48s announced by the RRCs, RIPE's "RIS Routing Beacons").
    public static let risBeacons: [Prefix] = [
        "84.205.64.0/24", "84.205.65.0/24", "84.205.67.0/24", "84.205.69.0/24", "84.205.70.0/24", "84.205.71.0/24",
        "84.205.73.0/24", "84.205.74.0/24", "84.205.75.0/24", "84.205.76.0/24", "84.205.77.0/24", "84.205.78.0/24",
        "84.205.79.0/24", "84.205.80.0/24", "84.205.81.0/24", "84.205.82.0/24", "84.205.83.0/24",
        "2001:7fb:fe00::/48", "2001:7fb:fe01::/48", "2001:7fb:fe03::/48", "2001:7fb:fe05::/48", "2001:7fb:fe06::/48",
        "2001:7fb:fe07::/48", "2001:7fb:fe09::/48", "2001:7fb:fe0a::/48", "2001:7fb:fe0b::/48", "2001:7fb:fe0c::/48",
        "2001:7fb:fe0d::/48", "2001:7fb:fe0e::/48", "2001:7fb:fe0f::/48", "2001:7fb:fe10::/48", "2001:7fb:fe12::/48",
    ].compactMap { Prefix($0) }

    public var beacons: [Prefix]
    /// Announced at every multiple of `period` (UTC), withdrawn `withdrawAfter` later.
    public var period: Int64 = 4 * 3600
    public var withdrawAfter: Int64 = 2 * 3600
    /// How long after the scheduled time the change must have been heard.
    public var grace: Int64 = 900

    /// Per beacon: when an announcement, and a withdrawal, last arrived (wall clock).
    var announced: [Prefix: Int64] = [:]
    var withdrawn: [Prefix: Int64] = [:]
    /// Connected without a break since (nil: not connected).
    var connectedSince: Int64?

    public init(beacons: [Prefix] = BeaconCanary.risBeacons) { self.beacons = beacons }

    public var prefixText: [String] { beacons.map(\.description) }

    public mutating func connected(at t: Int64) { if connectedSince == nil { connectedSince = t } }
    public mutating func disconnected() { connectedSince = nil }

    /// Elements as they arrive (`now`: the wall clock): the beacons' changes are noted.
    public mutating func observe(_ elements: [BGPElement], now: Int64) {
        for e in elements {
            guard let p = e.prefix, beacons.contains(p) else { continue }
            if e.kind == .announcement { announced[p] = now } else if e.kind == .withdrawal { withdrawn[p] = now }
        }
    }

    /// The latest scheduled change whose grace is over at `now`: its time, and whether it is an announcement.
    func lastDue(now: Int64) -> (at: Int64, announce: Bool) {
        let t = now - grace
        let cycle = t >= 0 ? t / period * period : (t - period + 1) / period * period
        return t >= cycle + withdrawAfter ? (cycle + withdrawAfter, false) : (cycle, true)
    }

    /// What went wrong at `now`, if anything: the last scheduled change not heard from most beacons.
    public func problem(now: Int64) -> String? {
        guard let since = connectedSince, !beacons.isEmpty else { return nil }
        let due = lastDue(now: now)
        // Not judged unless connected throughout, from `grace` before (a subscription takes a moment to
        // apply); a little slack (a minute, or the grace if shorter) for clocks that disagree.
        guard since + grace < due.at else { return nil }
        let slack = min(60, grace)
        let heard = beacons.filter { p in ((due.announce ? announced[p] : withdrawn[p]) ?? .min) >= due.at - slack }.count
        guard heard * 2 < beacons.count else { return nil }
        return "RIS beacons: \(heard) of \(beacons.count) \(due.announce ? "announced" : "withdrawn") at \(UTCTime.format(due.at)) as scheduled"
            + " (by \(UTCTime.format(due.at + grace)))"
    }
}
