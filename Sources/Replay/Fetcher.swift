import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Downloads archives into a local cache: several at once, resumable (a
/// `.part` file is continued with an HTTP Range request), size-checked against
/// what the server announced, and moved to its final name only when whole.
public final class Fetcher: @unchecked Sendable {
    public struct Result: Sendable {
        public var downloaded = 0
        public var alreadyCached = 0
        public var missing: [String] = []
        public var failed: [String] = []
        public var bytes: Int64 = 0
    }

    let cache: URL
    let jobs: Int
    let config: URLSessionConfiguration
    let lock = NSLock()
    var result = Result()
    /// Called after each file: (files done, files total, bytes so far).
    public var progress: (@Sendable (Int, Int, Int64) -> Void)?
    public var report: @Sendable (String) -> Void = { printErr("vigil: \($0)") }

    public init(cache: String, jobs: Int = 4) {
        self.cache = URL(fileURLWithPath: cache)
        self.jobs = max(1, jobs)
        config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = 60
    }

    public func localPath(_ f: ArchiveLayout.File) -> String { cache.appendingPathComponent(f.relativePath).path }

    public func fetch(_ files: [ArchiveLayout.File]) async -> Result {
        var done = 0
        await withTaskGroup(of: Void.self) { group in
            var next = 0
            func start() {
                guard next < files.count else { return }
                let f = files[next]
                next += 1
                group.addTask { await self.fetchOne(f) }
            }
            for _ in 0..<min(jobs, files.count) { start() }
            while await group.next() != nil {
                done += 1
                let bytes = lock.withLock { result.bytes }
                progress?(done, files.count, bytes)
                start()
            }
        }
        return lock.withLock { result }
    }

    func fetchOne(_ f: ArchiveLayout.File) async {
        let final = cache.appendingPathComponent(f.relativePath)
        let part = final.appendingPathExtension("part")
        let fm = FileManager.default
        if fm.fileExists(atPath: final.path) {
            lock.withLock { result.alreadyCached += 1 }
            return
        }
        do {
            try fm.createDirectory(at: final.deletingLastPathComponent(), withIntermediateDirectories: true)
            let have = (try? fm.attributesOfItem(atPath: part.path)[.size] as? Int64) ?? 0
            guard let url = URL(string: f.url) else { throw ReplayError("bad URL \(f.url)") }
            var req = URLRequest(url: url)
            if have > 0 { req.setValue("bytes=\(have)-", forHTTPHeaderField: "Range") }
            // Streamed into the .part file as it arrives, so a broken transfer keeps what came.
            let sink = PartFileSink(part: part)
            let session = URLSession(configuration: config, delegate: sink, delegateQueue: nil)
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                sink.finished = { c.resume() }
                session.dataTask(with: req).resume()
            }
            session.finishTasksAndInvalidate()
            guard let http = sink.response else { throw ReplayError("\(f.url): \(sink.error.map { "\($0.localizedDescription)" } ?? "no response")") }
            if http.statusCode == 404 {
                lock.withLock { result.missing.append(f.url) }
                report("\(f.url): not on the server (404); collectors have gaps")
                return
            }
            guard http.statusCode == 200 || http.statusCode == 206 else { throw ReplayError("\(f.url): HTTP \(http.statusCode)") }
            if let e = sink.error ?? sink.writeError {
                throw ReplayError("\(f.url): transfer broken after \(sink.got) bytes (\(e.localizedDescription)); kept as .part to resume")
            }
            let got = sink.got
            var expected: Int64? = nil
            if http.statusCode == 206 {
                if let cr = http.value(forHTTPHeaderField: "Content-Range"), let total = cr.split(separator: "/").last.flatMap({ Int64($0) }) {
                    expected = total
                }
            } else if let len = http.value(forHTTPHeaderField: "Content-Length").flatMap({ Int64($0) }) {
                expected = len
            }
            let size = (try fm.attributesOfItem(atPath: part.path)[.size] as? Int64) ?? 0
            if let e = expected, e != size {
                throw ReplayError("\(f.url): got \(size) bytes, the server announced \(e); kept as .part to resume")
            }
            try fm.moveItem(at: part, to: final)
            lock.withLock {
                result.downloaded += 1
                result.bytes += got
            }
        } catch {
            lock.withLock { result.failed.append(f.url) }
            report("\(error)")
        }
    }
}

func printErr(_ s: String) {
    FileHandle.standardError.write(Data((s + "\n").utf8))
}

/// Receives one HTTP transfer straight into a `.part` file: appended to after a
/// 206 (a resumed range), rewritten after a 200.
final class PartFileSink: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    let part: URL
    var handle: FileHandle?
    var response: HTTPURLResponse?
    var error: (any Error)?
    var writeError: (any Error)?
    var got: Int64 = 0
    var finished: (() -> Void)?

    init(part: URL) { self.part = part }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        let http = response as? HTTPURLResponse
        self.response = http
        guard let status = http?.statusCode, status == 200 || status == 206 else { return completionHandler(.cancel) }
        let fm = FileManager.default
        if status == 200 || !fm.fileExists(atPath: part.path) { _ = fm.createFile(atPath: part.path, contents: nil) }
        do {
            handle = try FileHandle(forWritingTo: part)
            try handle?.seekToEnd()
        } catch {
            writeError = error
            return completionHandler(.cancel)
        }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        do {
            try handle?.write(contentsOf: data)
            got += Int64(data.count)
        } catch {
            writeError = error
            dataTask.cancel()
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        if let e = error, (response?.statusCode ?? 0) / 100 == 2 || response == nil { self.error = e }
        try? handle?.close()
        finished?()
    }
}
