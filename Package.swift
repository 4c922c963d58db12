// swift-tools-version:6.0
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

let package = Package(
    name: "Recur",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "recur", targets: ["recur"]),
        .library(name: "Recur", targets: ["Recur"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
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
        .executableTarget(
            name: "recur",
            dependencies: [
                "Recur", "RecurCore", "RecurOpenCL", "RecurText",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "RecurCoreTests", dependencies: ["RecurCore"]),
        .testTarget(name: "RecurTextTests", dependencies: ["RecurText"]),
        .testTarget(name: "RecurOpenCLTests", dependencies: ["RecurOpenCL", "RecurCore"]),
        .testTarget(name: "RecurTests", dependencies: ["Recur", "RecurCore", "RecurOpenCL", "RecurText"], exclude: ["Fixtures"]),
    ],
    swiftLanguageModes: [.v5]
)
