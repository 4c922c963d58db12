import Foundation
import RecurCore
import Testing
@testable import RecurOpenCL

/// The OpenCL devices of this machine and one backend per device and kernel style, shared by the
/// (serialized) op tests so that programs are built once per process.
enum TestDevices {
    static let discovery = OpenCLDiscovery.devices()
    static var devices: [OpenCLDeviceInfo] { (try? discovery.get()) ?? [] }
    static var available: Bool { !devices.isEmpty }
    static var required: Bool { ProcessInfo.processInfo.environment["RECUR_REQUIRE_OPENCL"] == "1" }

    nonisolated(unsafe) private static var shared: [OpenCLBackend]?

    /// Every device with both kernel families, the CPU-style one with both GEMM block shapes: all must agree
    /// everywhere.
    static func backends() throws -> [OpenCLBackend] {
        if let shared { return shared }
        var made: [OpenCLBackend] = []
        for device in devices {
            for (style, tiling) in [(OpenCLKernelStyle.cpu, GEMMTiling.wide), (.cpu, .narrow), (.gpu, nil)] {
                var configuration = OpenCLBackendConfiguration()
                configuration.kernelStyle = style
                configuration.gemmTiling = tiling
                made.append(try OpenCLBackend(deviceIndex: device.index, configuration: configuration))
            }
        }
        shared = made
        return made
    }
}

extension OpenCLBackend {
    var label: String {
        "\(name) [\(style.rawValue) kernels\(style == .cpu ? ", \(tiling.blockRows)x\(tiling.blockColumns) GEMM blocks" : "")]"
    }
}

/// Runs `body` on every backend of `TestDevices`.
func forEachBackend(_ body: (OpenCLBackend) throws -> Void) throws {
    for backend in try TestDevices.backends() { try body(backend) }
}

/// SplitMix64: reproducible inputs.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func floats(_ count: Int, in range: ClosedRange<Float> = -1...1) -> [Float] {
        (0..<count).map { _ in Float.random(in: range, using: &self) }
    }
}

/// Expects `actual` to match `expected` within `abs + rel * |expected|` everywhere; reports the worst element.
func expectClose(
    _ actual: [Float], _ expected: [Double], _ context: @autoclosure () -> String,
    abs absolute: Double = 1e-5, rel relative: Double = 1e-4, sourceLocation: SourceLocation = #_sourceLocation
) {
    guard actual.count == expected.count else {
        Issue.record("\(context()): \(actual.count) values, expected \(expected.count)", sourceLocation: sourceLocation)
        return
    }
    var worst: (index: Int, excess: Double)?
    var failures = 0
    for i in actual.indices {
        let a = Double(actual[i]), e = expected[i]
        let allowed = absolute + relative * Swift.abs(e)
        let error = a.isNaN || e.isNaN ? (a.isNaN && e.isNaN ? 0 : .infinity) : Swift.abs(a - e)
        if error > allowed {
            failures += 1
            if worst == nil || error - allowed > worst!.excess { worst = (i, error - allowed) }
        }
    }
    if let worst {
        Issue.record(
            "\(context()): \(failures) of \(actual.count) values differ; worst at \(worst.index): \(actual[worst.index]) vs \(expected[worst.index])",
            sourceLocation: sourceLocation)
    }
}

func expectClose(
    _ actual: [Float], _ expected: [Float], _ context: @autoclosure () -> String,
    abs absolute: Double = 1e-5, rel relative: Double = 1e-4, sourceLocation: SourceLocation = #_sourceLocation
) {
    expectClose(actual, expected.map(Double.init), context(), abs: absolute, rel: relative, sourceLocation: sourceLocation)
}

/// Present or absent by the presence of a device; CI sets RECUR_REQUIRE_OPENCL=1 to turn absence into a failure.
@Test func openCLDeviceIsPresentWhenRequired() {
    switch TestDevices.discovery {
    case let .success(devices):
        #expect(!devices.isEmpty)
    case let .failure(error):
        if TestDevices.required {
            Issue.record("RECUR_REQUIRE_OPENCL=1 but no OpenCL device: \(error)")
        } else {
            print("note: OpenCL tests skipped: \(error)")
        }
    }
}

/// The op tests share backends, so they run one at a time.
@Suite(.serialized, .enabled(if: TestDevices.available, "no OpenCL device"))
struct OpenCLOpTests {}
