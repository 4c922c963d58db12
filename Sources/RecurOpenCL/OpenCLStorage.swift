import COpenCL
import RecurCore

/// Tensor memory on an OpenCL device: one `cl_mem` buffer, released when the last tensor view goes away.
final class OpenCLStorage: TensorStorage {
    let buffer: cl_mem

    init(context: OpenCLContext, count: Int, dtype: DType, owner: AnyObject) throws {
        // OpenCL rejects empty buffers; an empty tensor still gets a valid handle.
        let bytes = max(count, 1) * 4
        var status: cl_int = CL_SUCCESS
        guard let buffer = clCreateBuffer(context.context, cl_mem_flags(CL_MEM_READ_WRITE), bytes, nil, &status),
              status == CL_SUCCESS
        else {
            throw BackendError.openCL("clCreateBuffer(\(bytes) bytes)", status)
        }
        self.buffer = buffer
        super.init(count: count, dtype: dtype, owner: owner)
    }

    deinit {
        clReleaseMemObject(buffer)
    }
}
