import COpenCL
import Foundation
import RecurCore

/// Which family of kernels to run. CPU OpenCL (PoCL) is fastest with register-blocked kernels without
/// barriers, GPUs with local-memory tiles; both compute the same results.
enum OpenCLKernelStyle: String {
    case cpu
    case gpu
}

/// Settings the public initializer takes from the environment; tests set them directly.
struct OpenCLBackendConfiguration {
    var kernelSource = OpenCLKernelSource.fromEnvironment()
    /// nil disables the program binary cache.
    var cacheDirectory = OpenCLProgramCache.directoryFromEnvironment()
    /// nil chooses by device type.
    var kernelStyle: OpenCLKernelStyle?
    /// nil chooses by the device's vector width; `RECUR_OPENCL_GEMM_BLOCK` (8x32 or 6x16) overrides it.
    var gemmTiling = GEMMTiling(named: ProcessInfo.processInfo.environment["RECUR_OPENCL_GEMM_BLOCK"])
}

/// The OpenCL backend: weights, gradients and activations live in device buffers; ops are kernels enqueued
/// in order on one queue, compiled at run time from `Kernels/*.cl` and cached on disk.
public final class OpenCLBackend: Backend {
    public let device: OpenCLDeviceInfo
    public let name: String
    public let transfers = TransferCounter()

    let context: OpenCLContext
    let kernels: OpenCLKernelTable
    let style: OpenCLKernelStyle
    let tiling: GEMMTiling

    /// Stands in for an absent optional tensor (a kernel argument must always be a buffer).
    private(set) var placeholder: OpenCLStorage!
    /// Partial sums of the two-stage reductions; reusing it is safe because the queue runs in order.
    private(set) var reductionPartials: OpenCLStorage!
    static let reductionPartialCount = 256

    /// Opens device `deviceIndex` of `OpenCLDiscovery.devices()`.
    public convenience init(deviceIndex: Int) throws {
        try self.init(deviceIndex: deviceIndex, configuration: OpenCLBackendConfiguration())
    }

    init(deviceIndex: Int, configuration: OpenCLBackendConfiguration) throws {
        let discovered = try OpenCLDiscovery.discover()
        guard discovered.indices.contains(deviceIndex) else {
            throw BackendError.noDevice(
                "no OpenCL device \(deviceIndex): \(discovered.count) found "
                    + "(\(discovered.map { "opencl:\($0.info.index) \($0.info.name)" }.joined(separator: ", ")))")
        }
        let chosen = discovered[deviceIndex]
        device = chosen.info
        style = configuration.kernelStyle ?? (chosen.info.type == "CPU" ? .cpu : .gpu)
        tiling = configuration.gemmTiling ?? .forDevice(chosen.info)
        name = "opencl:\(deviceIndex) (\(chosen.info.name), \(chosen.info.platformName))"
        context = try OpenCLContext(chosen)
        kernels = OpenCLKernelTable(
            context: context, device: chosen.info, sources: configuration.kernelSource,
            cache: OpenCLProgramCache(directory: configuration.cacheDirectory),
            buildOptions: Self.buildOptions(for: chosen.info, tiling: tiling))
        placeholder = try allocate(1, .int32)
        reductionPartials = try allocate(Self.reductionPartialCount, .float32)
    }

    /// `-cl-std` from the device's OpenCL C version plus the tile sizes. No fast-math flags: results are
    /// compared with the CPU backend to 1e-5.
    static func buildOptions(for device: OpenCLDeviceInfo, tiling: GEMMTiling) -> String {
        let standard: String
        if device.openCLCVersion.contains("OpenCL C 3.") { standard = "CL3.0" }
        else if device.openCLCVersion.contains("OpenCL C 2.") { standard = "CL2.0" }
        else if device.openCLCVersion.contains("OpenCL C 1.1") { standard = "CL1.1" }
        else { standard = "CL1.2" }
        return [
            "-cl-std=\(standard)",
            "-DGEMM_BLOCK_ROWS=\(tiling.blockRows)", "-DGEMM_BLOCK_COLS=\(tiling.blockColumns)",
            "-DGEMM_DOT_ROWS=\(GEMMTiling.dotRows)", "-DGEMM_DOT_COLS=\(GEMMTiling.dotColumns)",
            "-DGEMM_TILE=\(GEMMTiling.tile)", "-DGEMM_LOCAL_DEPTH=\(2 * GEMMTiling.depthBlock)",
            "-DSOFTMAX_GROUP=\(softmaxGroupSize)",
        ].joined(separator: " ")
    }

    static let softmaxGroupSize = 256
    /// Work-group size of element-wise kernels (global sizes are rounded up to it; kernels bound-check).
    static let elementwiseGroupSize = 64

    /// What the program cache did so far (tests check hits and rebuilds).
    var programCacheStatistics: OpenCLProgramCache.Statistics { kernels.cache.statistics }

    // MARK: Memory

    func storage(of tensor: Tensor) throws -> OpenCLStorage {
        guard tensor.storage.owner === self, let storage = tensor.storage as? OpenCLStorage else {
            throw BackendError.invalidArgument("a tensor of another backend was passed to \(name)")
        }
        return storage
    }

    private func allocate(_ count: Int, _ dtype: DType) throws -> OpenCLStorage {
        guard count >= 0, count <= Int(Int32.max) else {
            throw BackendError.invalidArgument("tensor of \(count) elements: kernels index with 32-bit ints")
        }
        return try OpenCLStorage(pool: context.buffers, count: count, dtype: dtype, owner: self)
    }

    public func zeros(_ shape: [Int], dtype: DType) throws -> Tensor {
        let storage = try allocate(shape.reduce(1, *), dtype)
        let tensor = Tensor(storage: storage, shape: shape)
        try fillBits(tensor, pattern: 0)
        return tensor
    }

    public func uninitialized(_ shape: [Int], dtype: DType) throws -> Tensor {
        Tensor(storage: try allocate(shape.reduce(1, *), dtype), shape: shape)
    }

    public func upload(_ values: [Float], shape: [Int]) throws -> Tensor {
        try uploadBits(values, shape: shape, dtype: .float32)
    }

    public func upload(_ values: [Int32], shape: [Int]) throws -> Tensor {
        try uploadBits(values, shape: shape, dtype: .int32)
    }

    private func uploadBits<Element>(_ values: [Element], shape: [Int], dtype: DType) throws -> Tensor {
        guard values.count == shape.reduce(1, *) else {
            throw BackendError.invalidArgument("upload of \(values.count) values into shape \(shape)")
        }
        let tensor = Tensor(storage: try allocate(values.count, dtype), shape: shape)
        try writeBits(values, to: tensor)
        return tensor
    }

    public func write(_ values: [Float], to tensor: Tensor) throws { try writeBits(values, to: tensor) }
    public func write(_ values: [Int32], to tensor: Tensor) throws { try writeBits(values, to: tensor) }

    /// A blocking write: the host array need not outlive the call, and the in-order queue keeps it ordered
    /// after earlier kernels.
    private func writeBits<Element>(_ values: [Element], to tensor: Tensor) throws {
        precondition(MemoryLayout<Element>.size == 4)
        guard values.count == tensor.count else {
            throw BackendError.invalidArgument("write of \(values.count) values into a tensor of \(tensor.count)")
        }
        guard !values.isEmpty else { return }
        let buffer = try storage(of: tensor).buffer
        try values.withUnsafeBytes { bytes in
            try checkCL(
                clEnqueueWriteBuffer(context.queue, buffer, cl_bool(CL_TRUE), tensor.offset * 4, bytes.count,
                                     bytes.baseAddress, 0, nil, nil),
                "clEnqueueWriteBuffer")
        }
        transfers.recordUpload(bytes: values.count * 4)
    }

    public func download(_ tensor: Tensor) throws -> [Float] { try readBits(tensor, as: Float.self) }
    public func downloadInts(_ tensor: Tensor) throws -> [Int32] { try readBits(tensor, as: Int32.self) }

    private func readBits<Element: Numeric>(_ tensor: Tensor, as _: Element.Type) throws -> [Element] {
        var values = [Element](repeating: 0, count: tensor.count)
        guard !values.isEmpty else { return values }
        let buffer = try storage(of: tensor).buffer
        try values.withUnsafeMutableBytes { bytes in
            try checkCL(
                clEnqueueReadBuffer(context.queue, buffer, cl_bool(CL_TRUE), tensor.offset * 4, bytes.count,
                                    bytes.baseAddress, 0, nil, nil),
                "clEnqueueReadBuffer")
        }
        transfers.recordDownload(bytes: values.count * 4)
        return values
    }

    public func synchronize() throws {
        try context.finish()
    }

    func fillBits(_ tensor: Tensor, pattern: UInt32) throws {
        guard tensor.count > 0 else { return }
        var pattern = pattern
        try checkCL(
            clEnqueueFillBuffer(context.queue, try storage(of: tensor).buffer, &pattern, 4, tensor.offset * 4,
                                tensor.count * 4, 0, nil, nil),
            "clEnqueueFillBuffer")
    }

    // MARK: Launching kernels

    /// Sets the arguments of kernel `name` and enqueues it without waiting. `global` is rounded up to a
    /// multiple of `local`; kernels bound-check their indices. An empty range enqueues nothing.
    func launch(_ name: String, in program: String, global: [Int], local: [Int]? = nil, _ arguments: [KernelArgument]) throws {
        if global.contains(0) { return }
        let kernel = try kernels.kernel(name, in: program)
        var index: cl_uint = 0
        func setBuffer(_ buffer: cl_mem) throws {
            var value: cl_mem? = buffer
            try checkCL(clSetKernelArg(kernel, index, MemoryLayout<cl_mem?>.size, &value), "clSetKernelArg(\(name), \(index))")
            index += 1
        }
        func setValue<T: BitwiseCopyable>(_ value: T) throws {
            var value = value
            try checkCL(clSetKernelArg(kernel, index, MemoryLayout<T>.size, &value), "clSetKernelArg(\(name), \(index))")
            index += 1
        }
        for argument in arguments {
            switch argument {
            case let .tensor(tensor):
                try setBuffer(try storage(of: tensor).buffer)
                try setValue(Int32(tensor.offset))
            case let .matrix(view):
                try setBuffer(try storage(of: view.tensor).buffer)
                try setValue(Int32(view.offset))
            case let .lengths(tensor):
                try setBuffer(try tensor.map { try storage(of: $0).buffer } ?? placeholder.buffer)
                try setValue(Int32(tensor?.offset ?? 0))
                try setValue(Int32(tensor == nil ? 0 : 1))
            case let .optional(tensor):
                try setBuffer(try tensor.map { try storage(of: $0).buffer } ?? placeholder.buffer)
                try setValue(Int32(tensor?.offset ?? 0))
            case let .int(value): try setValue(Int32(value))
            case let .int32(value): try setValue(value)
            case let .uint(value): try setValue(value)
            case let .float(value): try setValue(value)
            }
        }
        var globalSize = global
        if let local {
            for d in global.indices { globalSize[d] = (global[d] + local[d] - 1) / local[d] * local[d] }
        }
        let status: cl_int = globalSize.withUnsafeBufferPointer { globalPointer in
            if let local {
                return local.withUnsafeBufferPointer { localPointer in
                    clEnqueueNDRangeKernel(context.queue, kernel, cl_uint(global.count), nil, globalPointer.baseAddress,
                                           localPointer.baseAddress, 0, nil, nil)
                }
            }
            return clEnqueueNDRangeKernel(context.queue, kernel, cl_uint(global.count), nil, globalPointer.baseAddress,
                                          nil, 0, nil, nil)
        }
        try checkCL(status, "clEnqueueNDRangeKernel(\(name))")
    }

    /// An element-wise launch over `count` items.
    func launchElementwise(_ name: String, in program: String, count: Int, _ arguments: [KernelArgument]) throws {
        try launch(name, in: program, global: [count], local: [Self.elementwiseGroupSize], arguments)
    }
}
