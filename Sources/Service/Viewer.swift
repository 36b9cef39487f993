public import Config
import Foundation
import Hummingbird
public import Logging
import ServiceLifecycle
import Store
import Web

/// `vigil serve --db FILE` without sources: the web API (and dashboard) on a database that
/// something else wrote (a replay, another observatory). The store is opened read-only: a
/// viewer never ends, adds or rewrites anything, so looking at a database cannot change it.
public enum Viewer {
    public static func run(database: String, listen: CollectConfig.Listen, logger: Logger, seconds: Double? = nil,
                           bound: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        let store = try await Stores.open(database, readOnly: true)
        let router = Router()
        WebAPI(store: store).register(on: router)
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .warning)
        let host = listen.host
        let app = Application(router: router, configuration: .init(address: .hostname(host, port: listen.port), serverName: "vigil"),
                              onServerRunning: { channel in
                                  let p = channel.localAddress?.port ?? listen.port
                                  logger.info("viewing \(shown(database)) on http://\(host.contains(":") ? "[\(host)]" : host):\(p)/")
                                  bound(p)
                              }, logger: quiet)
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: quiet))
        if let seconds {
            Task {
                try? await Task.sleep(for: .seconds(seconds))
                await group.triggerGracefulShutdown()
            }
        }
        try await group.run()
    }

    /// A database as logs show it: a PostgreSQL URL without its password.
    static func shown(_ database: String) -> String {
        guard var c = URLComponents(string: database), c.scheme?.hasPrefix("postgres") == true else { return database }
        c.password = nil
        return c.string ?? "PostgreSQL"
    }
}
