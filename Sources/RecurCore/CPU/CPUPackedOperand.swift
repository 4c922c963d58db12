/// op(B) packed once into the GEMM micro-kernel's nr-column panels (see `CPUGemm.packWholeB`), so that the
/// per-step GEMMs of a recurrence read W_hh from the layout they want instead of re-packing it every step.
final class CPUPackedOperand: PreparedGEMMOperand {
    let packed: UnsafeMutablePointer<Float>
    /// The panels' width is the kernel's nr.
    let kernel: CPUGemmKernel
    private let blockSize: Int

    init(view: MatrixView, transposed: Transpose, k: Int, n: Int, kernel: CPUGemmKernel) {
        let count = CPUGemm.packedBCount(k: k, n: n, kernel: kernel)
        let (raw, size) = CPUMemoryPool.shared.take(byteCount: max(count, 1) * 4)
        self.kernel = kernel
        packed = raw.bindMemory(to: Float.self, capacity: size / 4)
        blockSize = size
        super.init(view: view, transposed: transposed, k: k, n: n)
    }

    deinit { CPUMemoryPool.shared.give(UnsafeMutableRawPointer(packed), size: blockSize) }
}
