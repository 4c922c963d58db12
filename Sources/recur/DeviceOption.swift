import ArgumentParser
import Foundation
import RecurCore
import RecurOpenCL

/// `--device auto|cpu|opencl|opencl:N` (default: `$RECUR_DEVICE`, else `auto`).
struct DeviceOption: ParsableArguments {
    @Option(name: .long, help: "auto | cpu | opencl | opencl:N (default: $RECUR_DEVICE or auto)")
    var device: String?

    /// The chosen backend and a sentence saying why it was chosen. `int8`: the run multiplies in int8, which
    /// only the CPU backend does, so `auto` takes it.
    func makeBackend(int8: Bool = false) throws -> (backend: Backend, reason: String) {
        let choice = device ?? ProcessInfo.processInfo.environment["RECUR_DEVICE"] ?? "auto"
        switch choice {
        case "cpu":
            return (CPUBackend(), "CPU backend, as asked")
        case "auto" where int8:
            return (CPUBackend(), "CPU backend (auto: int8 inference runs on the CPU)")
        case "auto":
            switch OpenCLDiscovery.devices() {
            case let .success(devices):
                if let gpu = devices.first(where: \.isGPU) {
                    return (try OpenCLBackend(deviceIndex: gpu.index), "OpenCL GPU \(gpu.name) (auto: a GPU was found)")
                }
                return (CPUBackend(), "CPU backend (auto: no OpenCL GPU; \(devices.count) OpenCL CPU device(s) ignored, use --device opencl to pick one)")
            case let .failure(error):
                return (CPUBackend(), "CPU backend (auto: \(error.description))")
            }
        case "opencl":
            let devices = try OpenCLDiscovery.devices().get()
            guard let best = devices.first(where: \.isGPU) ?? devices.first else {
                throw ValidationError("--device opencl: no OpenCL device found (see `recur devices`)")
            }
            return (try OpenCLBackend(deviceIndex: best.index), "OpenCL device \(best.index): \(best.name), as asked")
        default:
            guard choice.hasPrefix("opencl:"), let index = Int(choice.dropFirst("opencl:".count)) else {
                throw ValidationError("--device '\(choice)': expected auto, cpu, opencl or opencl:N")
            }
            let devices = try OpenCLDiscovery.devices().get()
            guard let chosen = devices.first(where: { $0.index == index }) else {
                throw ValidationError("--device opencl:\(index): there are \(devices.count) OpenCL device(s) (see `recur devices`)")
            }
            return (try OpenCLBackend(deviceIndex: index), "OpenCL device \(index): \(chosen.name), as asked")
        }
    }
}
