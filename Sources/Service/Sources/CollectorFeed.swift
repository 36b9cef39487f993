import BGPWire
import Collector
import Logging
import MRT

extension CollectorEvents {
    /// What BGP sessions and BMP-monitored peers hand on, as elements for the pipeline:
    /// a session's coming up and going down as state changes (its routes go with it),
    /// validated updates as announcements and withdrawals (RFC 7606 treat-as-withdraw included).
    /// The sink is held for good: once the pipeline stops it takes nothing more, so the
    /// sessions closing after it are never seen (no per-message check needed here).
    static func feeding(_ sink: any ElementSink, logger: Logger) -> CollectorEvents {
        var events = CollectorEvents()
        events.logger = logger
        events.admit = { sink.admit(resume: $0) }
        events.onEstablished = { peer, n in
            logger.info("\(peer): established (hold \(n.holdTime) s, families \(n.families.map(\.description).joined(separator: " ")))",
                        metadata: ["bgp.peer.address": "\(peer.address)", "bgp.peer.as": "\(peer.asn)"])
            let t = wallClock()
            sink.submit([BGPElement(kind: .state, timestamp: t.0, microseconds: t.1, peerAddress: peer.address, peerAS: peer.asn,
                                    oldState: 5, newState: 6)])
        }
        events.onDown = { peer, why in
            // The session says why it went down (BGP at notice level); here only for debugging.
            logger.debug("\(peer): down: \(why)", metadata: ["bgp.peer.address": "\(peer.address)", "bgp.peer.as": "\(peer.asn)"])
            let t = wallClock()
            sink.submit([BGPElement(kind: .state, timestamp: t.0, microseconds: t.1, peerAddress: peer.address, peerAS: peer.asn,
                                    oldState: 6, newState: 1)])
        }
        events.onUpdate = { peer, decision, options, t, us in
            switch decision {
            case let .accept(u), let .attributeDiscard(u, _):
                sink.submit(ElementExtractor.elements(of: u, peerAddress: peer.address, peerAS: peer.asn, fourOctetAS: options.fourOctetAS,
                                                      timestamp: t, microseconds: us))
            case let .treatAsWithdraw(withdrawn, _):
                sink.submit(withdrawn.map {
                    BGPElement(kind: .withdrawal, timestamp: t, microseconds: us, peerAddress: peer.address, peerAS: peer.asn,
                               prefix: $0.prefix, pathID: $0.pathID)
                })
            case .sessionReset:
                break  // the session handles it; its routes go with the session
            }
        }
        return events
    }
}
