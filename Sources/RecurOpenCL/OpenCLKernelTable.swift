import COpenCL
import RecurCore

/// Programs built on first use (one per `Kernels/*.cl` file) and their `cl_kernel` objects, created once
/// per name and reused for every launch.
final class OpenCLKernelTable {
    private let context: OpenCLContext
    private let device: OpenCLDeviceInfo
    private let sources: OpenCLKernelSource
    let cache: OpenCLProgramCache
    let buildOptions: String
    private var programs: [String: cl_program] = [:]
    private var kernels: [String: cl_kernel] = [:]

    init(context: OpenCLContext, device: OpenCLDeviceInfo, sources: OpenCLKernelSource, cache: OpenCLProgramCache,
         buildOptions: String) {
        self.context = context
        self.device = device
        self.sources = sources
        self.cache = cache
        self.buildOptions = buildOptions
    }

    /// The kernel `name` defined in `program` (a `Kernels/` file name without `.cl`).
    func kernel(_ name: String, in program: String) throws -> cl_kernel {
        if let kernel = kernels[name] { return kernel }
        let built = try self.program(program)
        var status: cl_int = CL_SUCCESS
        guard let kernel = clCreateKernel(built, name, &status), status == CL_SUCCESS else {
            throw BackendError.openCL("clCreateKernel(\(name) in \(program).cl)", status)
        }
        kernels[name] = kernel
        return kernel
    }

    /// Builds (or loads from the disk cache) `program` if it is not built yet.
    @discardableResult
    func program(_ name: String) throws -> cl_program {
        if let program = programs[name] { return program }
        let source = try sources.source(of: name)
        let program = try cache.program(named: name, source: source, options: buildOptions, context: context, device: device)
        programs[name] = program
        return program
    }

    deinit {
        for kernel in kernels.values { clReleaseKernel(kernel) }
        for program in programs.values { clReleaseProgram(program) }
    }
}

/// One argument of a kernel launch. Tensors expand to the `(buffer, int offset)` pair every kernel takes,
/// which lets a kernel address any view without sub-buffers (whose offsets must be aligned).
enum KernelArgument {
    case tensor(Tensor)
    case matrix(MatrixView)
    /// An optional lengths tensor: (buffer or a placeholder, offset, 1 if present else 0).
    case lengths(Tensor?)
    /// An optional tensor as (buffer or a placeholder, offset) without a flag.
    case optional(Tensor?)
    case int(Int)
    case int32(Int32)
    case uint(UInt32)
    case float(Float)
}
