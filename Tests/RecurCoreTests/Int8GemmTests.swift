import Foundation
import Testing
@testable import RecurCore

/// The int8 GEMM against a reference written out here from the definition (PyTorch's dynamic quantization,
/// per-row activations over 0...127, per-column symmetric weights over ±127): its integers must be exact, so
/// the result matches to float rounding; and against the fp32 GEMM, to quantization error.
@Suite struct Int8GemmTests {
    /// Quantizes one row as the definition says: zero point and scale from the row's range with 0 in it.
    static func referenceRow(_ row: ArraySlice<Float>) -> (values: [Int], scale: Double, zero: Int) {
        let low = min(0, row.min() ?? 0), high = max(0, row.max() ?? 0)
        let scale = high > low ? (high - low) / 127 : 1
        let zero = Int(max(0, min(127, (-low / scale).rounded(.toNearestOrEven))))
        let values = row.map { Int(max(0, min(127, ($0 / scale).rounded(.toNearestOrEven) + Float(zero)))) }
        return (values, Double(scale), zero)
    }

    static let shapes = [(64, 1024, 256), (5, 17, 3), (37, 50, 130), (1, 1, 1), (130, 33, 17), (3, 16, 4)]

    @Test(arguments: shapes)
    func integersAreExact(_ shape: (Int, Int, Int)) throws {
        let (m, n, k) = shape
        let backend = CPUBackend()
        var random = SeededRandom(UInt64(m * 131 + n * 17 + k))
        for transB in [Transpose.none, .transposed] {
            let ldb = (transB == .none ? n : k) + 3
            let rowsB = transB == .none ? k : n
            let bValues = random.floats(rowsB * ldb + 2)
            let b = try backend.upload(bValues, shape: [rowsB * ldb + 2])
            let view = MatrixView(b, columnOffset: 2, ld: ldb)
            // A is read through a column view too (lda > k), with one row of zeros and one constant row.
            let lda = k + 5
            var aValues = random.floats(m * lda, -3, 2)
            for p in 0..<k { aValues[p] = 0 }
            if m > 2 { for p in 0..<k { aValues[2 * lda + p] = 0.75 } }
            let a = try backend.upload(aValues, shape: [m * lda])
            let initialC = random.floats(m * n)
            let c = try backend.upload(initialC, shape: [m, n])
            let operand = try #require(try backend.prepareInt8GEMMOperand(view, transB, k: k, n: n) as? CPUInt8Operand)
            try backend.gemm(.none, m: m, alpha: 0.5, a: MatrixView(a, columnOffset: 1, ld: lda), b: operand, beta: 1, c: c.matrix)
            let result = try backend.download(c)

            // Weights: per column, scale max|w| / 127, integers rounded half to even.
            func bElement(_ p: Int, _ j: Int) -> Float { transB == .none ? bValues[2 + p * ldb + j] : bValues[2 + j * ldb + p] }
            var expected = [Double](repeating: 0, count: m * n)
            for j in 0..<n {
                let largest = (0..<k).map { abs(bElement($0, j)) }.max()!
                let scale = largest / 127
                let column = (0..<k).map { Int(max(-127, min(127, (bElement($0, j) / scale).rounded(.toNearestOrEven)))) }
                for p in 0..<k { #expect(operand.dequantized(p, j) == Float(column[p]) * scale) }
                for i in 0..<m {
                    let row = Self.referenceRow(aValues[(i * lda + 1)..<(i * lda + 1 + k)])
                    var integer = 0
                    for p in 0..<k { integer += (row.values[p] - row.zero) * column[p] }
                    let product: Double = row.scale * Double(scale) * Double(integer)
                    expected[i * n + j] = 0.5 * product + Double(initialC[i * n + j])
                }
            }
            #expect(maxScaledError(result, expected) < 1e-5, "m \(m) n \(n) k \(k) transB \(transB)")
        }
    }

    /// Within quantization error of the fp32 product, and beta 0 ignores C's old contents (even NaN).
    @Test func closeToTheFloatProduct() throws {
        let (m, n, k) = (64, 1024, 256)
        let backend = CPUBackend()
        var random = SeededRandom(3)
        let a = try backend.upload(random.floats(m * k), shape: [m, k])
        let w = try backend.upload(random.floats(n * k, -0.1, 0.1), shape: [n, k])
        let exact = try backend.zeros([m, n], dtype: .float32)
        try backend.gemm(.none, .transposed, m: m, n: n, k: k, alpha: 1, a: a.matrix, b: w.matrix, beta: 0, c: exact.matrix)
        let quantized = try backend.upload([Float](repeating: .nan, count: m * n), shape: [m, n])
        try backend.gemm(.none, m: m, alpha: 1, a: a.matrix, b: try backend.prepareInt8GEMMOperand(w.matrix, .transposed, k: k, n: n),
                         beta: 0, c: quantized.matrix)
        let (x, y) = (try backend.download(quantized), try backend.download(exact))
        let error = zip(x, y).map { Double($0 - $1) * Double($0 - $1) }.reduce(0, +).squareRoot()
        let norm = y.map { Double($0) * Double($0) }.reduce(0, +).squareRoot()
        #expect(x.allSatisfy { $0.isFinite })
        #expect(error / norm < 0.01, "relative error \(error / norm)")
    }

    /// Rows are quantized independently, so a row's result does not depend on the others in the call (the
    /// recurrence leaves out ended rows; a table row equals the same token computed in a batch).
    @Test func rowsDoNotDependOnTheirCompany() throws {
        let (m, n, k) = (9, 40, 70)
        let backend = CPUBackend()
        var random = SeededRandom(9)
        let values = random.floats(m * k)
        let a = try backend.upload(values, shape: [m, k])
        let operand = try backend.prepareInt8GEMMOperand(try backend.upload(random.floats(n * k), shape: [n, k]).matrix,
                                                         .transposed, k: k, n: n)
        let all = try backend.zeros([m, n], dtype: .float32)
        try backend.gemm(.none, m: m, alpha: 1, a: a.matrix, b: operand, beta: 0, c: all.matrix)
        let whole = try backend.download(all)
        for i in [0, 4, 8] {
            let one = try backend.zeros([1, n], dtype: .float32)
            try backend.gemm(.none, m: 1, alpha: 1, a: try backend.upload(Array(values[(i * k)..<((i + 1) * k)]), shape: [1, k]).matrix,
                             b: operand, beta: 0, c: one.matrix)
            let alone = try backend.download(one)
            #expect(alone == Array(whole[(i * n)..<((i + 1) * n)]), "row \(i)")
        }
    }

    /// The AVX2 micro-kernel against the portable loop, on rows that fill the 7-bit range and weights at ±127
    /// (the largest pairs `vpmaddubsw` adds: no saturation).
    @Test func microKernelMatchesThePortableLoop() {
        let groups = 65, width = CPUInt8Operand.panelWidth
        var random = SeededRandom(11)
        let a = (0..<(4 * groups * 4)).map { i in UInt8(i % 3 == 0 ? 127 : random.int(below: 128)) }
        let b = (0..<(groups * width * 4)).map { i in Int8(i % 5 == 0 ? 127 : (i % 7 == 0 ? -127 : random.int(below: 255) - 127)) }
        for rows in 1...4 {
            var fast = [Int32](repeating: 0, count: 4 * width), slow = fast
            a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    CPUInt8Gemm.multiplyBlock(rows: rows, groups: groups, a: a.baseAddress!, lda: groups * 4, b: b.baseAddress!, sums: &fast)
                    CPUInt8Gemm.portableBlock(rows: rows, groups: groups, a: a.baseAddress!, lda: groups * 4, b: b.baseAddress!, sums: &slow)
                }
            }
            #expect(Array(fast.prefix(rows * width)) == Array(slow.prefix(rows * width)), "\(rows) rows")
        }
    }
}
