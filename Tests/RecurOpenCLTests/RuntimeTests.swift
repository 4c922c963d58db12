import Foundation
import RecurCore
import Testing
@testable import RecurOpenCL

/// Discovery, the program binary cache, build failures and error reporting.
@Suite(.enabled(if: TestDevices.available, "no OpenCL device"))
struct OpenCLRuntimeTests {
    private func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("recur-ocl-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    private func backend(cache: URL?, kernels: URL? = nil) throws -> OpenCLBackend {
        var configuration = OpenCLBackendConfiguration()
        configuration.cacheDirectory = cache
        configuration.kernelSource = OpenCLKernelSource(directory: kernels)
        return try OpenCLBackend(deviceIndex: 0, configuration: configuration)
    }

    @Test func discoveryListsDevicesWithFlatIndices() throws {
        let devices = try OpenCLDiscovery.devices().get()
        #expect(devices.map(\.index) == Array(devices.indices))
        for device in devices {
            #expect(!device.name.isEmpty && !device.platformName.isEmpty)
            #expect(["GPU", "CPU", "accelerator", "other"].contains(device.type))
            #expect(device.isGPU == (device.type == "GPU"))
            #expect(device.computeUnits > 0 && device.globalMemoryBytes > 0)
            #expect(device.openCLCVersion.hasPrefix("OpenCL C"))
            #expect(device.preferredFloatVectorWidth > 0)
            let options = OpenCLBackend.buildOptions(for: device, tiling: .forDevice(device))
            #expect(options.contains("-cl-std=CL") && options.contains("-DGEMM_BLOCK_ROWS=") && options.contains("-DGEMM_BLOCK_COLS="))
        }
        #expect(throws: BackendError.self) { try OpenCLBackend(deviceIndex: devices.count) }
    }

    @Test func secondBackendLoadsTheProgramBinaryFromDisk() throws {
        let cache = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: cache) }
        let first = try backend(cache: cache)
        try first.kernels.program("elementwise")
        #expect(first.programCacheStatistics == .init(loadedFromDisk: 0, builtFromSource: 1, discardedEntries: 0))
        let entries = try FileManager.default.contentsOfDirectory(atPath: cache.path)
        #expect(entries.count == 1 && entries[0].hasPrefix("elementwise-") && entries[0].hasSuffix(".bin"))

        let second = try backend(cache: cache)
        let x = try second.upload([Float](repeating: 1, count: 10), shape: [10])
        try second.scale(x, by: 3)
        #expect(try second.download(x) == [Float](repeating: 3, count: 10))
        #expect(second.programCacheStatistics == .init(loadedFromDisk: 1, builtFromSource: 0, discardedEntries: 0))
    }

    @Test func damagedCacheEntriesAreDeletedAndRebuilt() throws {
        let cache = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: cache) }
        try backend(cache: cache).kernels.program("elementwise")
        let entry = cache.appendingPathComponent(try FileManager.default.contentsOfDirectory(atPath: cache.path)[0])
        let good = try Data(contentsOf: entry)

        // A truncated file, and a well-formed entry whose payload the driver cannot load.
        let damaged = [good.prefix(good.count / 2), Data(OpenCLProgramCache.encodeEntry(Array("not a program binary".utf8)))]
        for bytes in damaged {
            try bytes.write(to: entry)
            let rebuilt = try backend(cache: cache)
            let x = try rebuilt.upload([Float(2)], shape: [1])
            try rebuilt.scale(x, by: 2)
            #expect(try rebuilt.download(x) == [4])
            #expect(rebuilt.programCacheStatistics == .init(loadedFromDisk: 0, builtFromSource: 1, discardedEntries: 1))
            #expect(OpenCLProgramCache.decodeEntry([UInt8](try Data(contentsOf: entry))) != nil, "the entry is rewritten whole")
        }
    }

    @Test func cacheEntryEncodingRejectsDamage() {
        let payload: [UInt8] = Array(0..<200)
        let entry = OpenCLProgramCache.encodeEntry(payload)
        #expect(OpenCLProgramCache.decodeEntry(entry) == payload)
        #expect(OpenCLProgramCache.decodeEntry(Array(entry.dropLast())) == nil)
        var flipped = entry
        flipped[entry.count - 5] ^= 1
        #expect(OpenCLProgramCache.decodeEntry(flipped) == nil)
        #expect(OpenCLProgramCache.decodeEntry([]) == nil)
    }

    @Test func cacheLocationFollowsTheEnvironment() {
        #expect(OpenCLProgramCache.directoryFromEnvironment(["RECUR_KERNEL_CACHE": "0", "XDG_CACHE_HOME": "/x"]) == nil)
        #expect(OpenCLProgramCache.directoryFromEnvironment(["XDG_CACHE_HOME": "/x"])?.path == "/x/recur/kernels")
        #expect(OpenCLProgramCache.directoryFromEnvironment([:])?.path.hasSuffix("/.cache/recur/kernels") == true)
    }

    @Test func brokenKernelSourceReportsTheBuildLogAndFileName() throws {
        let kernels = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: kernels) }
        try "__kernel void scale(__global float* x) { x[0] = undefined_name; }\n"
            .write(to: kernels.appendingPathComponent("elementwise.cl"), atomically: true, encoding: .utf8)
        let broken = try backend(cache: nil, kernels: kernels)
        let x = try broken.zeros([4], dtype: .float32)
        do {
            try broken.scale(x, by: 2)
            Issue.record("a kernel that does not compile was accepted")
        } catch let BackendError.buildFailed(program, device, log) {
            #expect(program == "elementwise.cl")
            #expect(device == broken.device.name)
            #expect(log.contains("undefined_name"), "build log: \(log)")
        }
    }

    @Test func failingCallsNameTheAPIAndTheError() throws {
        #expect(openCLErrorName(-5) == "CL_OUT_OF_RESOURCES")
        #expect(openCLErrorName(-11) == "CL_BUILD_PROGRAM_FAILURE")
        #expect(openCLErrorName(-1001) == "CL_PLATFORM_NOT_FOUND_KHR")
        #expect(openCLErrorName(-12345) == "CL_UNKNOWN_ERROR")
        let backend = try backend(cache: nil)
        do {
            _ = try backend.kernels.kernel("no_such_kernel", in: "elementwise")
            Issue.record("an unknown kernel name was accepted")
        } catch let BackendError.openCL(call, code, name) {
            #expect(call.hasPrefix("clCreateKernel"))
            #expect(code == -46 && name == "CL_INVALID_KERNEL_NAME")
            #expect("\(BackendError.openCL(call: call, code: code, name: name))".contains("CL_INVALID_KERNEL_NAME"))
        }
    }

    @Test func foreignTensorsAndBadViewsAreRefused() throws {
        let one = try backend(cache: nil), other = try backend(cache: nil)
        let x = try one.zeros([4], dtype: .float32)
        #expect(throws: BackendError.self) { try other.scale(x, by: 2) }
        let small = try one.zeros([2, 2], dtype: .float32)
        #expect(throws: BackendError.self) {
            try one.gemm(.none, .none, m: 2, n: 2, k: 3, alpha: 1, a: small.matrix, b: small.matrix, beta: 0, c: small.matrix)
        }
    }
}
