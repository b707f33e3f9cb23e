// swift-tools-version:6.1
import PackageDescription

let strictSwift: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
]

let package = Package(
    name: "Verity",
    platforms: [.macOS(.v15)],
    // Libraries only where another package can depend on them by version: SwiftPM refuses a
    // product whose targets use unsafe flags, and VerityTensor (so VerityModels and everything
    // that runs models) builds its kernels with -Ounchecked and -target-cpu. Those modules are
    // local to this package, and so are VerityChain (its referee runs the audit checks) and
    // VerityClient (which reads the chain's records).
    products: [
        .executable(name: "verity", targets: ["verity"]),
        .library(name: "VerityCore", targets: ["VerityCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        // Pure values: keys, encodings, messages, transactions, Merkle trees. No I/O.
        .target(
            name: "VerityCore",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSwift
        ),
        // CPU feature detection (AVX2+FMA, AVX-512, AMX permission) for choosing kernels at run time.
        .target(name: "CVerityCPU"),
        // Kernels in C where Swift cannot express them (vector shuffles) or compiles them worse
        // (BLAKE3's AVX-512 compression), each compiled for its level with a function
        // attribute; optimised in every configuration, like the Swift kernels.
        .target(name: "CVerityKernels", cSettings: [.unsafeFlags(["-O2"])]),
        // Kernel bodies (GEMM micro-kernel, packing, vector math), @inlinable so each kernel
        // target below compiles them for its own CPU level.
        .target(name: "VerityKernels", dependencies: ["CVerityKernels"], swiftSettings: strictSwift + [.unsafeFlags(["-Ounchecked"])]),
        // The same kernels compiled for AVX2+FMA; used only when the CPU has them.
        .target(
            name: "VerityKernelsHaswell",
            dependencies: ["VerityKernels"],
            swiftSettings: strictSwift + [.unsafeFlags(["-Ounchecked", "-target-cpu", "haswell"])]
        ),
        // The same kernels compiled for AVX-512 (skylake-avx512: F, CD, BW, DQ, VL; the importer
        // refuses x86-64-v4); used only when the CPU has them and the OS saves the zmm registers.
        .target(
            name: "VerityKernelsAVX512",
            dependencies: ["VerityKernels"],
            swiftSettings: strictSwift + [.unsafeFlags(["-Ounchecked", "-target-cpu", "skylake-avx512"])]
        ),
        // Tensors, ops with CPU dispatch, safetensors, the trace recorder.
        .target(
            name: "VerityTensor",
            dependencies: [
                "VerityCore", "VerityKernels", "VerityKernelsHaswell", "VerityKernelsAVX512", "CVerityCPU",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSwift
        ),
        // Model families: BERT (all-MiniLM-L6-v2), the WordPiece tokenizer, model manifests.
        .target(
            name: "VerityModels",
            dependencies: ["VerityCore", "VerityTensor", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSwift
        ),
        // Audit checks: Freivalds for GEMMs, attention, recomputed element-wise steps, custody,
        // the one-step check a referee runs. Pure: no I/O, no clock, randomness passed in.
        .target(
            name: "VerityVerify",
            dependencies: ["VerityCore", "VerityTensor", "VerityModels"],
            swiftSettings: strictSwift
        ),
        // The deterministic state machine: accounts, System program, executor, blocks, state
        // root, the market programs and the audit protocol, whose referee runs VerityVerify's
        // one-step check on the models the chain reads from its blob store.
        .target(
            name: "VerityChain",
            dependencies: ["VerityCore", "VerityTensor", "VerityModels", "VerityVerify"],
            swiftSettings: strictSwift
        ),
        // The node: sequencer, SQLite store, JSON-RPC and WebSocket servers (Hummingbird), the
        // block producer, all run as one ServiceGroup.
        .target(
            name: "VerityNode",
            dependencies: [
                "VerityCore", "VerityChain", "VerityClient",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSwift
        ),
        // The one client (CLI, worker, benchmarks): JSON-RPC, WebSocket subscriptions, blobs, and
        // the market (submit, follow, read) with typed views of what the node writes.
        .target(
            name: "VerityClient",
            dependencies: [
                "VerityCore", "VerityChain",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift
        ),
        // Benchmarks and simulations behind `verity bench`; the node never links it.
        .target(
            name: "VerityBench",
            dependencies: [
                "VerityCore", "VerityChain", "VerityTensor", "VerityModels", "VerityVerify", "VerityNode", "VerityClient",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift
        ),
        // The provider agent: registration, heartbeats, assignments over WebSocket, traced runs.
        .target(
            name: "VerityWorker",
            dependencies: [
                "VerityCore", "VerityChain", "VerityClient", "VerityModels", "VerityTensor",
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSwift
        ),
        // The command-line front end: thin commands over the library modules.
        .executableTarget(
            name: "verity",
            dependencies: [
                "VerityCore",
                "VerityTensor",
                "VerityModels",
                "VerityVerify",
                "VerityChain",
                "VerityNode",
                "VerityClient",
                "VerityWorker",
                "VerityBench",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSwift
        ),
        // Helpers shared by the test targets: a seeded random generator, naive reference kernels,
        // `offPool` for long synchronous work.
        .target(
            name: "VerityTestSupport",
            path: "Tests/VerityTestSupport",
            swiftSettings: strictSwift
        ),
        // Tiny synthetic BERT models held as blobs, and a provider's and an auditor's work on
        // them, for tests of the audit protocol that need no download.
        .target(
            name: "VerityAuditSupport",
            dependencies: ["VerityCore", "VerityTensor", "VerityModels", "VerityVerify", "VerityChain", "VerityTestSupport"],
            path: "Tests/VerityAuditSupport",
            swiftSettings: strictSwift
        ),
        // A node in the test process on port 0, shared by the test targets that need one live.
        .target(
            name: "VerityNodeTestSupport",
            dependencies: ["VerityNode", "VerityClient", "VerityChain", "VerityCore", "VerityTestSupport", .product(name: "Logging", package: "swift-log")],
            path: "Tests/VerityNodeTestSupport",
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "VerityCoreTests",
            dependencies: ["VerityCore", "VerityTestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "VerityTensorTests",
            dependencies: ["VerityTensor", "VerityKernels", "VerityKernelsHaswell", "VerityKernelsAVX512", "VerityCore", "VerityTestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "VerityModelsTests",
            dependencies: ["VerityModels", "VerityTensor", "VerityTestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "VerityVerifyTests",
            dependencies: ["VerityVerify", "VerityModels", "VerityTensor", "VerityCore", "VerityTestSupport"],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "VerityChainTests",
            dependencies: ["VerityChain", "VerityCore", "VerityTestSupport", "VerityAuditSupport", "VerityVerify", "VerityTensor", "VerityModels"],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "VerityNodeTests",
            dependencies: [
                "VerityNode", "VerityChain", "VerityCore", "VerityTestSupport", "VerityNodeTestSupport", "VerityClient",
                .product(name: "GRDB", package: "GRDB.swift"), .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Corpus")],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "VerityWorkerTests",
            dependencies: [
                "VerityWorker", "VerityNode", "VerityChain", "VerityClient", "VerityCore", "VerityModels", "VerityNodeTestSupport", "VerityTestSupport",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "VerityClientTests",
            dependencies: ["VerityClient", "VerityNode", "VerityChain", "VerityCore", "VerityNodeTestSupport"],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "VerityBenchTests",
            dependencies: ["VerityBench", "VerityChain", "VerityCore", "VerityTestSupport"],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "VerityCLITests",
            dependencies: ["verity", "VerityTestSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strictSwift
        ),
    ]
)
