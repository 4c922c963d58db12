import COpenCL
import RecurCore
import Testing
@testable import RecurOpenCL

/// Freed tensors' buffers are reused by later tensors of the same size class, never while still in use,
/// and `zeros` still means zeros on a reused buffer.
@Suite(.enabled(if: TestDevices.available, "no OpenCL device"))
struct OpenCLBufferPoolTests {
    private func buffer(_ tensor: Tensor) -> cl_mem? { (tensor.storage as? OpenCLStorage)?.buffer }

    /// A backend of its own: the shared test backends' pools serve other suites running alongside.
    private func privateBackend() throws -> OpenCLBackend {
        try OpenCLBackend(deviceIndex: 0, configuration: OpenCLBackendConfiguration())
    }

    @Test func freedBuffersComeBackForTheSameSizeClass() throws {
        let backend = try privateBackend()
        var first: Tensor? = try backend.upload([Float](repeating: 7, count: 1000), shape: [1000])
        let handle = buffer(first!)
        let live = try backend.uninitialized([1000], dtype: .float32)
        #expect(buffer(live) != handle, "a buffer in use is never handed out")
        first = nil
        // 1,010 floats (4,040 bytes) fall in the class of 1,000 (4,000 bytes): 4,096 bytes.
        let again = try backend.zeros([1010], dtype: .float32)
        #expect(buffer(again) == handle)
        #expect(try backend.download(again) == [Float](repeating: 0, count: 1010))
    }

    @Test func emptyingThePoolReleasesWhatItHolds() throws {
        let backend = try privateBackend()
        _ = try backend.uninitialized([1 << 16], dtype: .float32)  // freed at once, kept by the pool
        #expect(backend.context.buffers.drain() >= (1 << 16) * 4)
        #expect(backend.context.buffers.drain() == 0)
    }

    @Test func sizeClassesAreEighthsOfAPowerOfTwo() {
        for request in [1, 64, 65, 1000, 4096, 4097, 100_000, 1 << 26] {
            let size = BlockSizeClass.bytes(for: request)
            #expect(size >= request && size % 64 == 0)
            #expect(size <= max(64, request + request / 4 + 64), "\(request) -> \(size)")
        }
        #expect(BlockSizeClass.bytes(for: 4000) == BlockSizeClass.bytes(for: 4040))
    }
}
