/// What the pipeline tells whoever listens (the service core's event bus): event changes,
/// feed-health changes, source-health changes and closed bins. Plain values, so the
/// pipeline publishes them without knowing who listens.
public enum BusMessage: Sendable {
    /// An event opened, changed or closed; `latency`: for live openings, seconds since the evidence arrived.
    case event(Detector.Change, latency: Double?)
    /// A vantage point's feed lost or recovered (a session down, a table withdrawn).
    case feed(FeedEvent)
    /// A source's health changed (up, lagging, silent, down).
    case source(SourceHealth)
    /// A bin closed (its start, data time): rows and events up to it are final.
    case binClosed(Int64)
    /// This subscriber's buffer was full and it missed `count` messages just before this point.
    case missed(count: Int)
}
