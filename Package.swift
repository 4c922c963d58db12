// swift-tools-version:6.1
import PackageDescription

// The CPU backend's SIMD kernels are scalarized without a raised target CPU (see README, "Performance"):
// build them for the machine that compiles them. RECUR_TARGET_CPU overrides it (an LLVM CPU name, e.g. haswell for a
// portable binary).
let targetCPU = Context.environment["RECUR_TARGET_CPU"] ?? "native"
// Debug builds (what `swift test` builds) optimize them too: unoptimized SIMD code is ~1000x slower, too
// slow for the tests that train on real data.
let kernelFlags: [SwiftSetting] = [
    .unsafeFlags(["-target-cpu", targetCPU]),
    .unsafeFlags(["-Ounchecked"], .when(configuration: .release)),
    .unsafeFlags(["-O"], .when(configuration: .debug)),
]

// `mpirun -np N recur train|pretrain`: data-parallel training over Open MPI (libopenmpi-dev). RECUR_MPI=0 builds
// without it, for a binary that needs no MPI library (scripts/package.sh).
let withMPI = Context.environment["RECUR_MPI"] != "0"
let mpiTargets: [Target] = withMPI ? [
    .systemLibrary(name: "CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]),
    .target(name: "RecurMPI", dependencies: ["Recur", "CMPI"]),
] : []
let mpiDependencies: [Target.Dependency] = withMPI ? ["RecurMPI"] : []

// scripts/fuzz.sh: libFuzzer entry points for the file readers, built only with RECUR_FUZZ=1 (and
// -Xswiftc -sanitize=fuzzer, whose runtime supplies main).
let fuzzTargets: [Target] = Context.environment["RECUR_FUZZ"] == "1" ? [
    .systemLibrary(name: "CLibFuzzer"),
    .executableTarget(name: "RecurFuzz", dependencies: ["Recur", "RecurText", "CLibFuzzer"],
                      swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
] : []

let package = Package(
    name: "Recur",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "recur", targets: ["recur"]),
        .library(name: "Recur", targets: ["Recur"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // `recur serve`: HTTP on Hummingbird 2, graceful shutdown, Prometheus metrics.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // `recur export --format onnx`: onnx.proto's generated Swift code is committed (Sources/RecurONNX/Generated).
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0", traits: []),
    ],
    targets: [
        .systemLibrary(
            name: "COpenCL",
            pkgConfig: "OpenCL",
            providers: [.apt(["ocl-icd-opencl-dev", "opencl-headers"])]
        ),
        .target(name: "RecurCore", swiftSettings: kernelFlags),
        .executableTarget(name: "KernelEmbedder"),
        .plugin(
            name: "EmbedKernelsPlugin", capability: .buildTool(), dependencies: ["KernelEmbedder"],
            path: "Sources/EmbedKernelsPlugin"
        ),
        .target(
            name: "RecurOpenCL",
            dependencies: ["RecurCore", "COpenCL"],
            plugins: ["EmbedKernelsPlugin"]
        ),
        .target(name: "RecurText"),
        .target(name: "Recur", dependencies: ["RecurCore", "RecurText"]),
        .target(
            name: "RecurServe",
            dependencies: [
                "Recur", "RecurCore", "RecurText",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "RecurONNX",
            dependencies: ["Recur", "RecurCore", .product(name: "SwiftProtobuf", package: "swift-protobuf")]
        ),
        .executableTarget(
            name: "recur",
            dependencies: [
                "Recur", "RecurCore", "RecurOpenCL", "RecurText", "RecurServe", "RecurONNX",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ] + mpiDependencies
        ),
        .testTarget(name: "RecurCoreTests", dependencies: ["RecurCore"]),
        .testTarget(name: "RecurTextTests", dependencies: ["RecurText"]),
        .testTarget(name: "RecurOpenCLTests", dependencies: ["RecurOpenCL", "RecurCore"]),
        .testTarget(name: "RecurTests", dependencies: ["Recur", "RecurCore", "RecurOpenCL", "RecurText"], exclude: ["Fixtures"]),
        .testTarget(
            name: "RecurServeTests",
            dependencies: [
                "RecurServe", "Recur", "RecurCore", "RecurOpenCL", "RecurText",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        // Whole `recur` processes: mpirun, kills and resumes, exit codes (the binary is built beside the tests).
        .testTarget(name: "RecurCLITests", dependencies: ["Recur", "RecurText"]),
        .testTarget(name: "RecurONNXTests", dependencies: ["RecurONNX", "Recur", "RecurCore", "RecurText"]),
    ] + mpiTargets + fuzzTargets,
    swiftLanguageModes: [.v5]
)
