import COpenCL
import RecurCore

/// Recycles the buffers of freed OpenCL tensors, as `CPUMemoryPool` does host blocks.
///
/// Training and inference allocate the same activation shapes every batch. On a CPU device (PoCL) a fresh
/// buffer is fresh host memory, a page fault per 4 KiB on first touch (5% of an LSTM's inference in a
/// profile); on a GPU `clCreateBuffer` has its own cost. Reuse is safe because the backend's one in-order
/// queue runs a buffer's new commands after its old ones. Sizes come in `BlockSizeClass` classes; the pool
/// keeps up to `capacityBytes` and is emptied when the device refuses an allocation, before one retry.
final class OpenCLBufferPool {
    private let context: cl_context
    private let buffers: BlockRecycler<cl_mem>

    init(context: cl_context, capacityBytes: Int = 1 << 30) {
        self.context = context
        buffers = BlockRecycler(capacityBytes: capacityBytes)
    }

    /// A buffer of at least `byteCount` bytes (contents undefined); `size` is its class.
    func take(byteCount: Int) throws -> (buffer: cl_mem, size: Int) {
        let size = BlockSizeClass.bytes(for: byteCount)
        if let reused = buffers.reuse(size: size) { return (reused.block, reused.size) }
        var status: cl_int = CL_SUCCESS
        if let buffer = clCreateBuffer(context, cl_mem_flags(CL_MEM_READ_WRITE), size, nil, &status), status == CL_SUCCESS {
            return (buffer, size)
        }
        // Out of room: what the pool holds may be what is missing.
        if drain() > 0, let buffer = clCreateBuffer(context, cl_mem_flags(CL_MEM_READ_WRITE), size, nil, &status),
           status == CL_SUCCESS {
            return (buffer, size)
        }
        throw BackendError.openCL("clCreateBuffer(\(size) bytes)", status)
    }

    /// Takes a buffer back for reuse, or releases it when the pool is full.
    func give(_ buffer: cl_mem, size: Int) {
        if !buffers.keep(buffer, size: size) { clReleaseMemObject(buffer) }
    }

    /// Releases every cached buffer; returns how many bytes that freed.
    @discardableResult
    func drain() -> Int {
        let (released, bytes) = buffers.removeAll()
        for buffer in released { clReleaseMemObject(buffer) }
        return bytes
    }

    deinit { drain() }
}
