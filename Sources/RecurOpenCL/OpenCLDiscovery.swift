import COpenCL
import Foundation
import RecurCore

/// One OpenCL device as the CLI lists it (`recur devices`) and selects it (`--device opencl:N`).
public struct OpenCLDeviceInfo: Sendable {
    /// Flat index across all platforms, in platform order then device order.
    public let index: Int
    public let platformName: String
    public let name: String
    /// "GPU", "CPU", "accelerator" or "other".
    public let type: String
    public let isGPU: Bool
    public let vendor: String
    public let driverVersion: String
    public let computeUnits: Int
    public let globalMemoryBytes: UInt64
    /// As the device reports it, e.g. "OpenCL C 1.2 PoCL".
    public let openCLCVersion: String
    /// Floats per preferred vector (PoCL: 16 with AVX-512, 8 with AVX2): sizes the CPU GEMM block.
    public let preferredFloatVectorWidth: Int
}

public enum OpenCLDiscovery {
    /// Every device of every platform. No ICD loader configuration or no platform is `.noDevice`, not a trap.
    public static func devices() -> Result<[OpenCLDeviceInfo], BackendError> {
        Result { try discover().map(\.info) }.mapError { $0 as? BackendError ?? .noDevice("\($0)") }
    }

    /// Devices with the handles the backend needs to open one.
    static func discover() throws -> [DiscoveredDevice] { try discoveredOnce.get() }

    /// Platforms and devices are queried once per process: their handles never change, and some drivers
    /// (PoCL 3.1) crash when two threads initialise them at the same time. A static `let` is initialised
    /// exactly once, under a lock.
    private static let discoveredOnce = Result<[DiscoveredDevice], Error> { try query() }

    private static func query() throws -> [DiscoveredDevice] {
        var platformCount: cl_uint = 0
        let status = clGetPlatformIDs(0, nil, &platformCount)
        if status == -1001 /* CL_PLATFORM_NOT_FOUND_KHR */ || (status == CL_SUCCESS && platformCount == 0) {
            throw BackendError.noDevice(
                "no OpenCL platform found: install an OpenCL driver (an ICD such as pocl-opencl-icd, or a GPU vendor's) "
                    + "or use --device cpu")
        }
        try checkCL(status, "clGetPlatformIDs")
        var platforms = [cl_platform_id?](repeating: nil, count: Int(platformCount))
        try checkCL(clGetPlatformIDs(platformCount, &platforms, nil), "clGetPlatformIDs")

        var found: [DiscoveredDevice] = []
        for case let platform? in platforms {
            let platformName = (try? platformString(platform, cl_platform_info(CL_PLATFORM_NAME))) ?? "unknown platform"
            var deviceCount: cl_uint = 0
            let countStatus = clGetDeviceIDs(platform, cl_device_type(CL_DEVICE_TYPE_ALL), 0, nil, &deviceCount)
            // A platform without devices is not an error for discovery: other platforms may have some.
            if countStatus == CL_DEVICE_NOT_FOUND || deviceCount == 0 { continue }
            try checkCL(countStatus, "clGetDeviceIDs")
            var devices = [cl_device_id?](repeating: nil, count: Int(deviceCount))
            try checkCL(clGetDeviceIDs(platform, cl_device_type(CL_DEVICE_TYPE_ALL), deviceCount, &devices, nil), "clGetDeviceIDs")
            for case let device? in devices {
                let info = try describe(device, index: found.count, platformName: platformName)
                found.append(DiscoveredDevice(info: info, platform: platform, device: device))
            }
        }
        if found.isEmpty {
            throw BackendError.noDevice("OpenCL platforms found but no devices on them; use --device cpu")
        }
        return found
    }

    private static func describe(_ device: cl_device_id, index: Int, platformName: String) throws -> OpenCLDeviceInfo {
        let typeBits: cl_device_type = try deviceValue(device, cl_device_info(CL_DEVICE_TYPE))
        let type: String
        if typeBits & cl_device_type(CL_DEVICE_TYPE_GPU) != 0 { type = "GPU" }
        else if typeBits & cl_device_type(CL_DEVICE_TYPE_CPU) != 0 { type = "CPU" }
        else if typeBits & cl_device_type(CL_DEVICE_TYPE_ACCELERATOR) != 0 { type = "accelerator" }
        else { type = "other" }
        let computeUnits: cl_uint = try deviceValue(device, cl_device_info(CL_DEVICE_MAX_COMPUTE_UNITS))
        let memory: cl_ulong = try deviceValue(device, cl_device_info(CL_DEVICE_GLOBAL_MEM_SIZE))
        let vectorWidth: cl_uint = try deviceValue(device, cl_device_info(CL_DEVICE_PREFERRED_VECTOR_WIDTH_FLOAT))
        return OpenCLDeviceInfo(
            index: index,
            platformName: platformName,
            name: try deviceString(device, cl_device_info(CL_DEVICE_NAME)),
            type: type,
            isGPU: type == "GPU",
            vendor: try deviceString(device, cl_device_info(CL_DEVICE_VENDOR)),
            driverVersion: try deviceString(device, cl_device_info(CL_DRIVER_VERSION)),
            computeUnits: Int(computeUnits),
            globalMemoryBytes: UInt64(memory),
            openCLCVersion: try deviceString(device, cl_device_info(CL_DEVICE_OPENCL_C_VERSION)),
            preferredFloatVectorWidth: Int(vectorWidth)
        )
    }

    static func deviceValue<T: FixedWidthInteger>(_ device: cl_device_id, _ param: cl_device_info) throws -> T {
        var value: T = 0
        try checkCL(clGetDeviceInfo(device, param, MemoryLayout<T>.size, &value, nil), "clGetDeviceInfo")
        return value
    }

    static func deviceString(_ device: cl_device_id, _ param: cl_device_info) throws -> String {
        var size = 0
        try checkCL(clGetDeviceInfo(device, param, 0, nil, &size), "clGetDeviceInfo")
        var bytes = [CChar](repeating: 0, count: size + 1)
        try checkCL(clGetDeviceInfo(device, param, size, &bytes, nil), "clGetDeviceInfo")
        return trimmedString(bytes)
    }

    static func platformString(_ platform: cl_platform_id, _ param: cl_platform_info) throws -> String {
        var size = 0
        try checkCL(clGetPlatformInfo(platform, param, 0, nil, &size), "clGetPlatformInfo")
        var bytes = [CChar](repeating: 0, count: size + 1)
        try checkCL(clGetPlatformInfo(platform, param, size, &bytes, nil), "clGetPlatformInfo")
        return trimmedString(bytes)
    }

    private static func trimmedString(_ bytes: [CChar]) -> String {
        let text = String(decoding: bytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return text.trimmingCharacters(in: .whitespaces)
    }
}

/// A device together with the OpenCL handles needed to open a context on it.
struct DiscoveredDevice {
    let info: OpenCLDeviceInfo
    let platform: cl_platform_id
    let device: cl_device_id
}
