import ArgumentParser
import Foundation
import RecurCore
import RecurOpenCL

/// `recur devices`: every OpenCL device and the CPU backend.
struct DevicesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "devices", abstract: "List the OpenCL devices and the CPU backend.")

    func run() throws {
        switch OpenCLDiscovery.devices() {
        case let .success(devices) where devices.isEmpty:
            print("OpenCL: no devices")
        case let .success(devices):
            for device in devices {
                print("opencl:\(device.index)  \(device.name)")
                print("    type \(device.type), vendor \(device.vendor), platform \(device.platformName)")
                print("    driver \(device.driverVersion), \(device.openCLCVersion)")
                let gib = Double(device.globalMemoryBytes) / 1_073_741_824
                print("    \(device.computeUnits) compute units, \(String(format: "%.1f", gib)) GiB global memory")
            }
        case let .failure(error):
            print("OpenCL: unavailable: \(error.description)")
        }
        print("cpu  CPU backend (pure Swift, \(ProcessInfo.processInfo.activeProcessorCount) threads)")
    }
}
