/// What a speaker does with a received UPDATE, by RFC 7606 ("Revised Error
/// Handling for BGP UPDATE Messages"): most attribute errors no longer reset
/// the session; the routes are withdrawn or the attribute dropped instead.
public enum UpdateDecision: Equatable, Sendable {
    case accept(Update)
    /// Some attributes were dropped (§2 "attribute discard"); the rest is used.
    case attributeDiscard(Update, discarded: [AttributeType])
    /// The routes of this UPDATE are treated as withdrawn (§2 "treat-as-withdraw").
    case treatAsWithdraw(withdrawn: [NLRI], reason: String)
    /// Only a session reset is safe (MP_REACH/MP_UNREACH cannot be parsed, §3 j).
    case sessionReset(Notification, reason: String)
}

extension Update {
    /// Applies RFC 7606 to a decoded UPDATE.
    public func validate() -> UpdateDecision {
        var discard: [AttributeType] = []
        var withdrawReason: String? = nil
        var seen = Set<AttributeType>()
        for a in attributes {
            let t = a.type
            if seen.contains(t) && t != .mpReachNLRI && t != .mpUnreachNLRI {
                // §3 g: repeated attributes other than MP_* — keep the first, discard the rest.
                discard.append(t)
                continue
            }
            if seen.contains(t) {
                return .sessionReset(Notification(code: Notification.updateMessageError, subcode: 1), reason: "MP_REACH/MP_UNREACH_NLRI repeated")
            }
            seen.insert(t)
            if case let .origin(o) = a, o.rawValue > 2 {
                // §7.1: an undefined ORIGIN value is malformed.
                withdrawReason = withdrawReason ?? "ORIGIN value \(o.rawValue) undefined"
                continue
            }
            guard case let .malformed(_, reason) = a else { continue }
            switch t {
            case .mpReachNLRI, .mpUnreachNLRI:
                return .sessionReset(Notification(code: Notification.updateMessageError, subcode: 9), reason: "malformed \(t.rawValue == 14 ? "MP_REACH_NLRI" : "MP_UNREACH_NLRI"): \(reason)")
            case .atomicAggregate, .aggregator, .as4Aggregator, .as4Path:
                // §7.6-7.8 and RFC 6793: discard the attribute.
                discard.append(t)
            default:
                // ORIGIN, AS_PATH, NEXT_HOP, MED, LOCAL_PREF, communities, ORIGINATOR_ID, CLUSTER_LIST…: treat-as-withdraw.
                withdrawReason = withdrawReason ?? "malformed attribute \(t.rawValue): \(reason)"
            }
        }
        let reach = attributes.mpReach?.nlri ?? []
        if !nlri.isEmpty || !reach.isEmpty {
            // §3 d: a missing well-known mandatory attribute means treat-as-withdraw.
            var missing: [String] = []
            if !seen.contains(.origin) { missing.append("ORIGIN") }
            if !seen.contains(.asPath) { missing.append("AS_PATH") }
            if !nlri.isEmpty && !seen.contains(.nextHop) { missing.append("NEXT_HOP") }
            if !missing.isEmpty { withdrawReason = withdrawReason ?? "missing \(missing.joined(separator: ", "))" }
        }
        if let reason = withdrawReason {
            return .treatAsWithdraw(withdrawn: withdrawn + (attributes.mpUnreach?.withdrawn ?? []) + nlri + reach, reason: reason)
        }
        if !discard.isEmpty {
            var kept: [PathAttribute] = []
            var once = Set<AttributeType>()
            for a in attributes where !(discard.contains(a.type) && (a.isMalformed || once.contains(a.type))) {
                once.insert(a.type)
                kept.append(a)
            }
            return .attributeDiscard(Update(withdrawn: withdrawn, attributes: kept, nlri: nlri), discarded: discard)
        }
        return .accept(self)
    }
}

extension PathAttribute {
    public var isMalformed: Bool { if case .malformed = self { true } else { false } }
}
