/// One caller at a time through an async section, in arrival order: a PostgreSQL write awaits the
/// server between the writer's state and the transaction that commits it, and an actor alone would
/// let a second write in at each await.
actor SerialGate {
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        if busy { await withCheckedContinuation { waiting.append($0) } } else { busy = true }
        defer { if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() } }
        return try await body()
    }
}
