public import Hummingbird
public import Foundation
public import Logging
public import Web
import NIOCore
import NIOConcurrencyHelpers

/// The local HTTP endpoint of a running observatory: `/metrics` (Prometheus text) and
/// `/status` (the status report as JSON, what `vigil status` reads). It listens only where
/// the config says (127.0.0.1 by default), and the web API (`/api/v1/`) on the same port.
public enum HTTPEndpoint {
    public static func application(host: String, port: Int, metrics: ServeMetrics, status: @escaping @Sendable () -> StatusReport,
                                   api: WebAPI? = nil, logger: Logger, bound: @escaping @Sendable (Int) -> Void) -> some ApplicationProtocol {
        let router = Router()
        api?.register(on: router)
        router.get("/metrics") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: metrics.text())))
        }
        router.get("/status") { _, _ -> Response in
            let data = statusJSON(status())
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .warning)
        return Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "vigil"),
                           onServerRunning: { channel in
                               let p = channel.localAddress?.port ?? port
                               logger.info("metrics and status on http://\(host.contains(":") ? "[\(host)]" : host):\(p)/metrics")
                               bound(p)
                           }, logger: quiet)
    }

    public static func statusJSON(_ report: StatusReport) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(report)) ?? Data("{}".utf8)
    }
}
