/// op(B) of an int8 GEMM: a weight quantized once, symmetric per output column (per channel, as PyTorch's
/// `per_channel_dynamic_qconfig`), to the integers -127...127 and packed into `CPUInt8Gemm`'s panels.
///
/// Panel layout: 16 columns at a time, k in groups of four: `[k / 4][16][4]` bytes, so one 32-byte load holds
/// four consecutive k of eight columns, the operand of `vpmaddubsw` against four broadcast activations.
/// k and n are zero-padded to whole groups and panels; padded columns have scale 0.
final class CPUInt8Operand: PreparedGEMMOperand {
    static let panelWidth = 16
    let paddedK: Int
    let panelCount: Int
    /// `[panelCount][paddedK / 4][16][4]` quantized weights.
    let panels: UnsafeMutablePointer<Int8>
    /// Per column of op(B) (padded to whole panels): the real value of one integer step.
    let scales: UnsafeMutablePointer<Float>
    /// Per column: the sum over k of its integers, which removes the activations' zero point from a product.
    let columnSums: UnsafeMutablePointer<Int32>

    /// Quantizes op(B) (k x n), read through `element(p, j)`.
    init(view: MatrixView, transposed: Transpose, k: Int, n: Int, element: (Int, Int) -> Float) {
        paddedK = (k + 3) / 4 * 4
        panelCount = (n + Self.panelWidth - 1) / Self.panelWidth
        let paddedN = panelCount * Self.panelWidth
        panels = .allocate(capacity: max(1, paddedN * paddedK))
        panels.initialize(repeating: 0, count: max(1, paddedN * paddedK))
        scales = .allocate(capacity: max(1, paddedN))
        scales.initialize(repeating: 0, count: max(1, paddedN))
        columnSums = .allocate(capacity: max(1, paddedN))
        columnSums.initialize(repeating: 0, count: max(1, paddedN))
        super.init(view: view, transposed: transposed, k: k, n: n)

        for j in 0..<n {
            var largest: Float = 0
            for p in 0..<k { largest = max(largest, abs(element(p, j))) }
            let scale = largest > 0 ? largest / 127 : 1
            scales[j] = largest > 0 ? scale : 0
            let panel = panels + (j / Self.panelWidth) * paddedK * Self.panelWidth
            let column = j % Self.panelWidth
            var sum: Int32 = 0
            for p in 0..<k {
                let q = Int8(max(-127, min(127, (element(p, j) / scale).rounded(.toNearestOrEven))))
                panel[(p / 4) * Self.panelWidth * 4 + column * 4 + p % 4] = q
                sum += Int32(q)
            }
            columnSums[j] = sum
        }
    }

    deinit {
        panels.deallocate()
        scales.deallocate()
        columnSums.deallocate()
    }

    /// op(B)(p, j) as the GEMM sees it: the integer times its column's scale (for tests and reference checks).
    func dequantized(_ p: Int, _ j: Int) -> Float {
        let panel = panels + (j / Self.panelWidth) * paddedK * Self.panelWidth
        return Float(panel[(p / 4) * Self.panelWidth * 4 + (j % Self.panelWidth) * 4 + p % 4]) * scales[j]
    }
}
