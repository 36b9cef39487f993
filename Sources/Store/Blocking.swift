import Dispatch

/// Runs async store work and waits for it on this thread. For the threads of their own that drive
/// a store (the replay's engine and writer, the live pipeline's bins): the work runs on the task
/// pool meanwhile. Never call it from a task, whose thread the work may need.
public func blockingWait<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let box = ResultBox<T>(), done = DispatchSemaphore(value: 0)
    Task.detached {
        do { box.result = .success(try await body()) } catch { box.result = .failure(error) }
        done.signal()
    }
    done.wait()
    return try box.result!.get()
}

/// Where a task leaves its result for the thread waiting on it (the semaphore orders the two).
final class ResultBox<T>: @unchecked Sendable {
    var result: Result<T, any Error>?
}
