// swift-tools-version: 6.1
import PackageDescription

// libFuzzer targets, kept out of the main package: they have no `main` of their
// own (libFuzzer provides it), so they only build with -sanitize=fuzzer.
// Commands are in README.md ("Fuzzing").
let package = Package(
    name: "VigilFuzz",
    dependencies: [.package(name: "Vigil", path: "..")],
    targets: [
        .executableTarget(name: "FuzzMRT", dependencies: [.product(name: "MRT", package: "Vigil"), .product(name: "BGPWire", package: "Vigil")]),
        .executableTarget(name: "FuzzBGP", dependencies: [.product(name: "BGPWire", package: "Vigil")]),
        .executableTarget(name: "FuzzArchive", dependencies: [.product(name: "MRT", package: "Vigil"), .product(name: "BGPWire", package: "Vigil"),
                                                            .product(name: "VigilEngine", package: "Vigil")]),
        .executableTarget(name: "FuzzBMP", dependencies: [.product(name: "BGPWire", package: "Vigil")]),
    ]
)
