/// op(B) packed once into the GEMM micro-kernel's 32-column panels (see `CPUGemm.packWholeB`), so that the
/// per-step GEMMs of a recurrence read W_hh from the layout they want instead of re-packing it every step.
final class CPUPackedOperand: PreparedGEMMOperand {
    let packed: UnsafeMutablePointer<Float>
    private let blockSize: Int

    override init(view: MatrixView, transposed: Transpose, k: Int, n: Int) {
        let (raw, size) = CPUMemoryPool.shared.take(byteCount: max(CPUGemm.packedBCount(k: k, n: n), 1) * 4)
        packed = raw.bindMemory(to: Float.self, capacity: size / 4)
        blockSize = size
        super.init(view: view, transposed: transposed, k: k, n: n)
    }

    deinit { CPUMemoryPool.shared.give(UnsafeMutableRawPointer(packed), size: blockSize) }
}
