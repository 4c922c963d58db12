import COpenCL
import RecurCore

/// Tensor memory on an OpenCL device: one `cl_mem` buffer from the backend's pool, handed back when the last
/// tensor view goes away.
final class OpenCLStorage: TensorStorage {
    let buffer: cl_mem
    private let pool: OpenCLBufferPool
    private let size: Int

    init(pool: OpenCLBufferPool, count: Int, dtype: DType, owner: AnyObject) throws {
        // OpenCL rejects empty buffers; an empty tensor still gets a valid handle.
        (buffer, size) = try pool.take(byteCount: max(count, 1) * 4)
        self.pool = pool
        super.init(count: count, dtype: dtype, owner: owner)
    }

    deinit {
        pool.give(buffer, size: size)
    }
}
