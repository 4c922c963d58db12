import COpenCL
import RecurCore

/// A context on one device with its single in-order command queue. Every op is enqueued on this queue,
/// so ops run in program order without events; only downloads and `synchronize` wait.
final class OpenCLContext {
    let device: cl_device_id
    let context: cl_context
    let queue: cl_command_queue
    /// Freed tensors' buffers, for reuse.
    let buffers: OpenCLBufferPool

    init(_ discovered: DiscoveredDevice) throws {
        device = discovered.device
        var properties: [cl_context_properties] = [
            cl_context_properties(CL_CONTEXT_PLATFORM), cl_context_properties(Int(bitPattern: discovered.platform)), 0,
        ]
        var status: cl_int = CL_SUCCESS
        var deviceList: cl_device_id? = discovered.device
        guard let context = clCreateContext(&properties, 1, &deviceList, nil, nil, &status), status == CL_SUCCESS else {
            throw BackendError.openCL("clCreateContext", status)
        }
        guard let queue = clCreateCommandQueue(context, discovered.device, 0, &status), status == CL_SUCCESS else {
            clReleaseContext(context)
            throw BackendError.openCL("clCreateCommandQueue", status)
        }
        self.context = context
        self.queue = queue
        buffers = OpenCLBufferPool(context: context)
    }

    func finish() throws {
        try checkCL(clFinish(queue), "clFinish")
    }

    deinit {
        clFinish(queue)
        clReleaseCommandQueue(queue)
        clReleaseContext(context)
    }
}
