// swift-tools-version: 6.1
import PackageDescription

// One library target per concern (see shared DESIGN.md). Wire formats depend on
// nothing but the standard library and zlib/libbz2, so the hot path stays small
// and the executable builds fast on two cores.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

// The routing state and signal engine are single-threaded classes updated per
// element on the hot path; Swift's dynamic exclusivity checks on their stored
// arrays cost ~10% of replay time there (measured with perf), and only there
// are they turned off. Static checks still apply.
let hotPathSettings = swiftSettings + [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "Vigil",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "vigil", targets: ["vigil"]),
        .library(name: "BGPWire", targets: ["BGPWire"]),
        .library(name: "MRT", targets: ["MRT"]),
        // For the fuzz package's whole-archive target (routing state → signals → detector).
        .library(name: "VigilEngine", targets: ["Routing", "Entities", "Signals"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/hummingbird-project/swift-websocket", from: "1.6.2"),
    ],
    targets: [
        .target(
            name: "CCompression",
            linkerSettings: [.linkedLibrary("z"), .linkedLibrary("bz2")]
        ),
        .target(name: "BGPWire", swiftSettings: swiftSettings),
        .target(name: "MRT", dependencies: ["BGPWire", "CCompression"], swiftSettings: hotPathSettings),
        .target(name: "Routing", dependencies: ["BGPWire"], swiftSettings: hotPathSettings),
        .target(name: "Entities", dependencies: ["BGPWire", "Routing"], swiftSettings: swiftSettings),
        // RPKI route origin validation (RFC 6811) from a validator's VRP export.
        .target(name: "RPKI", dependencies: ["BGPWire"], swiftSettings: swiftSettings),
        .target(name: "Signals", dependencies: ["BGPWire", "Routing", "Entities", "Probing", "RPKI"], swiftSettings: hotPathSettings),
        // Both databases behind one protocol: SQLite (GRDB) on one machine, PostgreSQL (postgres-nio) for many vantage points.
        .target(name: "Store", dependencies: ["Signals", "Probing", "Entities", "BGPWire", .product(name: "GRDB", package: "GRDB.swift"),
                                              .product(name: "PostgresNIO", package: "postgres-nio"),
                                              .product(name: "NIOPosix", package: "swift-nio"),
                                              .product(name: "Logging", package: "swift-log")],
                swiftSettings: swiftSettings),
        .target(name: "Replay", dependencies: ["MRT", "Signals", "Probing", "Store", "Entities", "Routing", "BGPWire",
                                              .product(name: "Logging", package: "swift-log")], swiftSettings: hotPathSettings),
        .executableTarget(
            name: "vigil",
            dependencies: [
                "MRT", "BGPWire", "Replay", "Store", "Signals", "Entities", "Routing", "Simulator", "Evaluation", "Collector", "Config", "Probing", "Service",
                "Alerts", "RPKI",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(name: "TOMLKeys", dependencies: [.product(name: "TOMLKit", package: "TOMLKit")], swiftSettings: swiftSettings),
        // The application's TOML (collector, BMP, archive, store, detect and probe sections): its own
        // target, so `vigil probe` reads it without importing the BGP collector.
        .target(name: "Config", dependencies: ["BGPWire", "Entities", "Probing", "TOMLKeys", .product(name: "TOMLKit", package: "TOMLKit")],
                swiftSettings: swiftSettings),
        .target(name: "Collector", dependencies: ["BGPWire", "MRT", "Routing", "Entities", "Probing", .product(name: "Logging", package: "swift-log"),
                                                  .product(name: "NIOCore", package: "swift-nio"),
                                                  .product(name: "NIOPosix", package: "swift-nio"),
                                                  .product(name: "NIOConcurrencyHelpers", package: "swift-nio")], swiftSettings: swiftSettings),
        .target(name: "Simulator", dependencies: ["MRT", "BGPWire", "TOMLKeys", .product(name: "TOMLKit", package: "TOMLKit")],
                swiftSettings: swiftSettings),
        .target(name: "Evaluation", dependencies: ["Simulator", "Replay", "Signals", "Store", "Entities", "BGPWire"],
                swiftSettings: swiftSettings),
        .target(name: "Probing", dependencies: ["BGPWire"], swiftSettings: swiftSettings),
        // The HTTP API (and, served beside it, the dashboard): reads of the store, nothing else.
        .target(name: "Web", dependencies: ["Store", "Signals", "Entities", "Probing", "BGPWire",
                                            .product(name: "Hummingbird", package: "hummingbird"),
                                            .product(name: "NIOConcurrencyHelpers", package: "swift-nio")],
                resources: [.copy("Public")], swiftSettings: swiftSettings),
        .testTarget(name: "WebTests", dependencies: ["Web", "Store", "Signals", "Probing", "BGPWire", "Entities",
                                                     .product(name: "HummingbirdTesting", package: "hummingbird")],
                    swiftSettings: swiftSettings),
        // Alerts: event changes → rules → the store's outbox → receivers (webhook, Slack, PagerDuty, Alertmanager).
        // RIS Live (RIPE's stream of every RIS collector's updates) as a source: messages, subscriptions, the client.
        .target(name: "RISLive", dependencies: ["BGPWire", "MRT", .product(name: "WSClient", package: "swift-websocket"),
                                                .product(name: "Logging", package: "swift-log")], swiftSettings: swiftSettings),
        .testTarget(name: "RISLiveTests", dependencies: ["RISLive", "BGPWire", "MRT", "Service", "Config", "Signals", "Routing", "Alerts", "Replay", "Collector", "Simulator", "Store", "Entities", .product(name: "Logging", package: "swift-log")], resources: [.copy("Fixtures")], swiftSettings: swiftSettings),
        .target(name: "Alerts", dependencies: ["Config", "Signals", "Store", "BGPWire",
                                               .product(name: "AsyncHTTPClient", package: "async-http-client"),
                                               .product(name: "Mustache", package: "swift-mustache"),
                                               .product(name: "NIOCore", package: "swift-nio"),
                                               .product(name: "NIOHTTP1", package: "swift-nio"),
                                               .product(name: "NIOPosix", package: "swift-nio"),
                                               .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                                               .product(name: "NIOSSL", package: "swift-nio-ssl"),
                                               .product(name: "Logging", package: "swift-log")],
                swiftSettings: swiftSettings),
        .testTarget(name: "AlertsTests", dependencies: ["Alerts", "Config", "Signals", "Store", "BGPWire"], exclude: ["Fixtures"], swiftSettings: swiftSettings),
        // The service core of `vigil serve`: sources → pipeline → store, the event bus and its
        // consumers, lifecycle, logging, metrics and the local HTTP endpoint.
        .target(name: "Service", dependencies: ["Signals", "Replay", "Web", "Alerts", "Collector", "Config", "Probing", "Store", "Entities", "Routing", "MRT", "BGPWire", "RISLive",
                                                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                                                .product(name: "NIOCore", package: "swift-nio"),
                                                .product(name: "Logging", package: "swift-log"),
                                                .product(name: "CoreMetrics", package: "swift-metrics"),
                                                .product(name: "Prometheus", package: "swift-prometheus"),
                                                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                                                .product(name: "Hummingbird", package: "hummingbird")],
                swiftSettings: swiftSettings),
        .testTarget(name: "ServiceTests", dependencies: ["Service", "Signals", "Replay", "Config", "BGPWire", "MRT", "Store", "Simulator", "Entities", .product(name: "Logging", package: "swift-log"),
                                                      .product(name: "NIOConcurrencyHelpers", package: "swift-nio")], swiftSettings: swiftSettings),
        .executableTarget(name: "vigil-bench", dependencies: ["MRT", "BGPWire", "Probing", "Store", "Signals", "Simulator", "RISLive",
                                                            .product(name: "GRDB", package: "GRDB.swift"),
                                                            .product(name: "Logging", package: "swift-log")],
                         swiftSettings: swiftSettings),
        .testTarget(name: "ProbingTests", dependencies: ["Probing", "BGPWire", "Signals"], swiftSettings: swiftSettings),
        .testTarget(name: "BGPWireTests", dependencies: ["BGPWire"], swiftSettings: swiftSettings),
        .testTarget(name: "RoutingTests", dependencies: ["Routing", "BGPWire"], swiftSettings: swiftSettings),
        .testTarget(name: "RPKITests", dependencies: ["RPKI", "BGPWire"], resources: [.copy("Fixtures")], swiftSettings: swiftSettings),
        .testTarget(
            name: "MRTTests", dependencies: ["MRT", "BGPWire"],
            resources: [.copy("Fixtures")], swiftSettings: swiftSettings),
        .testTarget(name: "VigilTests", dependencies: ["MRT", "BGPWire"], exclude: ["Fixtures"], swiftSettings: swiftSettings),
        .testTarget(name: "CollectorTests", dependencies: ["Collector", "BGPWire", "MRT", "Service", "Config", .product(name: "Logging", package: "swift-log")],
                    swiftSettings: swiftSettings),
        .testTarget(name: "ConfigTests", dependencies: ["Config", "BGPWire", "Entities"], swiftSettings: swiftSettings),
        .testTarget(name: "SignalsTests", dependencies: ["Signals", "Simulator", "Evaluation", "Replay", "Store", "Entities", "BGPWire", "MRT", "Routing", "RPKI"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "ReplayTests", dependencies: ["Replay", "Store", "Signals", "Entities", "Routing", "MRT", "BGPWire", "Probing",
                                                    .product(name: "GRDB", package: "GRDB.swift")],
                    swiftSettings: swiftSettings),
    ]
)
