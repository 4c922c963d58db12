import COpenCL
import RecurCore
import Synchronization

/// Recycles the buffers of freed OpenCL tensors, as `CPUMemoryPool` does host blocks.
///
/// Training and inference allocate the same activation shapes every batch. On a CPU device (PoCL) a fresh
/// buffer is fresh host memory, a page fault per 4 KiB on first touch (5% of an LSTM's inference in a
/// profile); on a GPU `clCreateBuffer` has its own cost. Reuse is safe because the backend's one in-order
/// queue runs a buffer's new commands after its old ones. Sizes come in `BlockSizeClass` classes; the pool
/// keeps up to `capacityBytes` and is emptied when the device refuses an allocation, before one retry.
final class OpenCLBufferPool {
    private let context: cl_context
    private let capacityBytes: Int
    private let state = Mutex<(buffers: [Int: [cl_mem]], cachedBytes: Int)>(([:], 0))

    init(context: cl_context, capacityBytes: Int = 1 << 30) {
        self.context = context
        self.capacityBytes = capacityBytes
    }

    /// A buffer of at least `byteCount` bytes (contents undefined); `size` is its class.
    func take(byteCount: Int) throws -> (buffer: cl_mem, size: Int) {
        let size = BlockSizeClass.bytes(for: byteCount)
        let reused: cl_mem? = state.withLock { state in
            guard let buffer = state.buffers[size]?.popLast() else { return nil }
            state.cachedBytes -= size
            return buffer
        }
        if let reused { return (reused, size) }
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
        let kept = state.withLock { state in
            guard state.cachedBytes + size <= capacityBytes else { return false }
            state.buffers[size, default: []].append(buffer)
            state.cachedBytes += size
            return true
        }
        if !kept { clReleaseMemObject(buffer) }
    }

    /// Releases every cached buffer; returns how many bytes that freed.
    @discardableResult
    func drain() -> Int {
        let (buffers, bytes) = state.withLock { state in
            defer { state = ([:], 0) }
            return (state.buffers.values.flatMap { $0 }, state.cachedBytes)
        }
        for buffer in buffers { clReleaseMemObject(buffer) }
        return bytes
    }

    deinit { drain() }
}
