// swift-tools-version:6.1
import PackageDescription

let strictSwift: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
]

let package = Package(
    name: "Verity",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "verity", targets: ["verity"]),
        .library(name: "VerityCore", targets: ["VerityCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    ],
    targets: [
        // Pure values: keys, encodings, messages, transactions, Merkle trees. No I/O.
        .target(
            name: "VerityCore",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSwift
        ),
        // The command-line front end: thin commands over the library modules.
        .executableTarget(
            name: "verity",
            dependencies: [
                "VerityCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "VerityCoreTests",
            dependencies: ["VerityCore"],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "VerityCLITests",
            dependencies: ["verity"],
            swiftSettings: strictSwift
        ),
    ]
)
