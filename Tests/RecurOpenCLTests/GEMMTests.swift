import RecurCore
import Testing
@testable import RecurOpenCL

extension OpenCLOpTests {
    /// Every transpose combination, shapes with edges on every side, views with a larger leading dimension,
    /// a column offset and a storage offset, and both beta == 0 over NaN and beta != 0.
    @Test func gemmMatchesReferenceForAllTransposesAndEdges() throws {
        let shapes: [(m: Int, n: Int, k: Int)] = [
            (1, 1, 1), (3, 5, 7), (8, 32, 16), (13, 45, 17), (33, 70, 9), (40, 33, 37), (9, 64, 0), (64, 96, 40), (5, 130, 3),
            // Long k.
            (16, 32, 64), (37, 40, 100),
            // Many rows: B transposed is laid out k x n first, or packed into panels (n a multiple of the
            // block width, 16 or 32; for B not transposed only from 1,024 rows).
            (300, 40, 20), (300, 64, 20), (300, 48, 20), (1030, 64, 9), (1030, 48, 9),
            // 64 to 128 rows against B not transposed: each column panel copied into local memory by one
            // work-group (gemm_block_local), with a partial last row block, a sliding right edge, and the
            // deepest panel it holds (k 512).
            (70, 45, 33), (90, 48, 512),
            // Narrower than a 32-column block, at least a 16-column one.
            (10, 20, 12),
            // Long k: cut into depth blocks accumulating into C.
            (20, 40, 600),
        ]
        let transposes: [(Transpose, Transpose)] = [(.none, .none), (.transposed, .none), (.none, .transposed), (.transposed, .transposed)]
        try forEachBackend { backend in
            var random = SeededGenerator(seed: 42)
            for (m, n, k) in shapes {
                for (transA, transB) in transposes {
                    for (alpha, beta) in [(Float(1), Float(0)), (Float(0.5), Float(-1.5))] {
                        try checkGEMM(backend, transA, transB, m: m, n: n, k: k, alpha: alpha, beta: beta, random: &random)
                    }
                }
            }
        }
    }

    private func checkGEMM(
        _ backend: OpenCLBackend, _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
        alpha: Float, beta: Float, random: inout SeededGenerator
    ) throws {
        // Stored shapes of A and B, padded with 3 extra columns and placed at an offset.
        let (aRows, aColumns) = transA == .none ? (m, k) : (k, m)
        let (bRows, bColumns) = transB == .none ? (k, n) : (n, k)
        let lda = aColumns + 3, ldb = bColumns + 2, ldc = n + 5
        let aOffset = 7, bOffset = 3, cColumnOffset = 2
        let aValues = random.floats(aOffset + max(aRows, 1) * lda)
        let bValues = random.floats(bOffset + max(bRows, 1) * ldb)
        var cValues = random.floats(m * ldc + cColumnOffset)
        if beta == 0 { for i in stride(from: 0, to: cValues.count, by: 3) { cValues[i] = .nan } }

        let aTensor = try backend.upload(aValues, shape: [aValues.count])
        let bTensor = try backend.upload(bValues, shape: [bValues.count])
        let cTensor = try backend.upload(cValues, shape: [cValues.count])
        let a = MatrixView(Tensor(storage: aTensor.storage, offset: aOffset, shape: [aValues.count - aOffset]), ld: lda)
        let b = MatrixView(Tensor(storage: bTensor.storage, offset: bOffset, shape: [bValues.count - bOffset]), ld: ldb)
        let c = MatrixView(cTensor, ld: ldc).columnBlock(startingAt: cColumnOffset)
        try backend.gemm(transA, transB, m: m, n: n, k: k, alpha: alpha, a: a, b: b, beta: beta, c: c)

        func opA(_ i: Int, _ p: Int) -> Double {
            Double(transA == .none ? aValues[aOffset + i * lda + p] : aValues[aOffset + p * lda + i])
        }
        func opB(_ p: Int, _ j: Int) -> Double {
            Double(transB == .none ? bValues[bOffset + p * ldb + j] : bValues[bOffset + j * ldb + p])
        }
        var expected = cValues.map(Double.init)
        for i in 0..<m {
            for j in 0..<n {
                var total = 0.0
                for p in 0..<k { total += opA(i, p) * opB(p, j) }
                let index = cColumnOffset + i * ldc + j
                expected[index] = Double(alpha) * total + (beta == 0 ? 0 : Double(beta) * Double(cValues[index]))
            }
        }
        expectClose(try backend.download(cTensor), expected,
                    "\(backend.label) gemm \(transA) \(transB) m\(m) n\(n) k\(k) alpha \(alpha) beta \(beta)")
    }
}

extension OpenCLOpTests {
    /// A prepared op(B) (a recurrent weight, packed once) gives the plain GEMM's product: n a multiple of the
    /// block width takes the CPU-style panel kernel (13 rows: a partial row block), the other shapes the plain path.
    @Test func preparedOperandMatchesPlainGemm() throws {
        try forEachBackend { backend in
            var random = SeededGenerator(seed: 5)
            for (m, n, k) in [(64, 96, 40), (13, 64, 300), (13, 48, 30), (7, 45, 30), (3, 20, 9)] {
                for transB in [Transpose.none, .transposed] {
                    let ldb = (transB == .none ? n : k) + 3
                    let rowsB = transB == .none ? k : n
                    let b = try backend.upload(random.floats(rowsB * ldb + 2), shape: [rowsB * ldb + 2])
                    let view = MatrixView(b, columnOffset: 2, ld: ldb)
                    let a = try backend.upload(random.floats(m * k), shape: [m, k])
                    let initialC = random.floats(m * n)
                    let plain = try backend.upload(initialC, shape: [m, n]), prepared = try backend.upload(initialC, shape: [m, n])
                    try backend.gemm(.none, transB, m: m, n: n, k: k, alpha: 0.5, a: a.matrix, b: view, beta: 1, c: plain.matrix)
                    let operand = try backend.prepareGEMMOperand(view, transB, k: k, n: n)
                    try backend.gemm(.none, m: m, alpha: 0.5, a: a.matrix, b: operand, beta: 1, c: prepared.matrix)
                    expectClose(try backend.download(prepared), try backend.download(plain), "\(backend.label) m \(m) n \(n) k \(k) \(transB)")
                }
            }
        }
    }
}
