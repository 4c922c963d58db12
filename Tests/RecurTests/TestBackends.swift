import Foundation
import RecurCore
import RecurOpenCL
import Testing

/// The backends every cross-backend test runs on: the CPU backend and each OpenCL device present.
/// With `RECUR_REQUIRE_OPENCL=1` (CI) finding no OpenCL device is an error, not a skip.
enum TestBackends {
    static func all() throws -> [Backend] {
        var backends: [Backend] = [CPUBackend()]
        switch OpenCLDiscovery.devices() {
        case let .success(devices) where !devices.isEmpty:
            for device in devices { backends.append(try OpenCLBackend(deviceIndex: device.index)) }
        case let .failure(error):
            try requireOpenCLIfAsked(error.description)
        default:
            try requireOpenCLIfAsked("no OpenCL device found")
        }
        return backends
    }

    private static func requireOpenCLIfAsked(_ reason: String) throws {
        if ProcessInfo.processInfo.environment["RECUR_REQUIRE_OPENCL"] == "1" {
            throw BackendError.noDevice("RECUR_REQUIRE_OPENCL=1 but \(reason)")
        }
        print("note: OpenCL tests skipped: \(reason)")
    }
}

/// Checks `actual` against PyTorch's `expected` to within 1e-5 absolute or 1e-4 relative.
func expectClose(_ actual: [Float], _ expected: [Float], _ what: String, absolute: Float = 1e-5, relative: Float = 1e-4,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    guard actual.count == expected.count else {
        Issue.record("\(what): \(actual.count) values, expected \(expected.count)", sourceLocation: sourceLocation)
        return
    }
    var worst = (index: -1, error: Float(0))
    for i in 0..<actual.count {
        let error = abs(actual[i] - expected[i])
        let allowed = max(absolute, relative * abs(expected[i]))
        if !(error <= allowed), error > worst.error || worst.index < 0 { worst = (i, error) }
    }
    if worst.index >= 0 {
        Issue.record("\(what): element \(worst.index) is \(actual[worst.index]), expected \(expected[worst.index]) (error \(worst.error))",
                     sourceLocation: sourceLocation)
    }
}
