import Testing
@testable import RecurCore

/// C = alpha·op(A)·op(B) + beta·C in Double, on the same padded row-major layouts the backend sees.
private func referenceGemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
    a: [Float], aOffset: Int, lda: Int, b: [Float], bOffset: Int, ldb: Int,
    beta: Float, c: [Float], cOffset: Int, ldc: Int
) -> [Float] {
    var out = c
    for i in 0..<m {
        for j in 0..<n {
            var total = 0.0
            for p in 0..<k {
                let x = transA ? a[aOffset + p * lda + i] : a[aOffset + i * lda + p]
                let y = transB ? b[bOffset + j * ldb + p] : b[bOffset + p * ldb + j]
                total += Double(x) * Double(y)
            }
            let old = beta == 0 ? 0 : Double(beta) * Double(c[cOffset + i * ldc + j])
            out[cOffset + i * ldc + j] = Float(Double(alpha) * total + old)
        }
    }
    return out
}

/// Runs one GEMM through the backend with padded leading dimensions, a tensor offset and a column
/// offset on every operand, and compares all of C's storage (padding must stay untouched).
private func checkGemm(
    _ backend: CPUBackend, transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
    alpha: Float, beta: Float, nanInC: Bool = false, seed: UInt64
) throws -> Double {
    var random = SeededRandom(seed)
    let (aRows, aColumns) = transA ? (k, m) : (m, k)
    let (bRows, bColumns) = transB ? (n, k) : (k, n)
    let lda = aColumns + 3, ldb = bColumns + 5, ldc = n + 2
    let aOffset = 4, bOffset = 1, cOffset = 3
    let aValues = random.floats(aOffset + max(aRows, 1) * lda + 2)
    let bValues = random.floats(bOffset + max(bRows, 1) * ldb + 2)
    var cValues = random.floats(cOffset + max(m, 1) * ldc + 2)
    if nanInC { for i in 0..<m { for j in 0..<n { cValues[cOffset + i * ldc + j] = .nan } } }

    // Tensor offset 1 plus a column offset makes up each operand's offset.
    let aTensor = try backend.upload(aValues, shape: [aValues.count]).slice(1..<aValues.count)
    let bTensor = try backend.upload(bValues, shape: [bValues.count])
    let cTensor = try backend.upload(cValues, shape: [cValues.count]).slice(1..<cValues.count)
    try backend.gemm(
        transA ? .transposed : .none, transB ? .transposed : .none, m: m, n: n, k: k, alpha: alpha,
        a: MatrixView(aTensor, columnOffset: aOffset - 1, ld: lda),
        b: MatrixView(bTensor, columnOffset: bOffset, ld: ldb),
        beta: beta,
        c: MatrixView(cTensor, columnOffset: cOffset - 1, ld: ldc))
    let actual = [cValues[0]] + (try backend.download(cTensor))
    let expected = referenceGemm(
        transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
        a: aValues, aOffset: aOffset, lda: lda, b: bValues, bOffset: bOffset, ldb: ldb,
        beta: beta, c: cValues, cOffset: cOffset, ldc: ldc)
    // Padding between rows is not NaN; compare everything (NaN only where the reference has it).
    var worst = 0.0
    for (x, y) in zip(actual, expected) {
        if x.isNaN || y.isNaN { if !(x.isNaN && y.isNaN) { return .infinity }; continue }
        worst = max(worst, Double(abs(x - y)) / max(1, Double(abs(y))))
    }
    return worst
}

@Suite struct GemmTests {
    let backend = CPUBackend()

    /// Sizes around both kernels' blocks (6 x 16 and 8 x 32), on each kernel.
    @Test(arguments: CPUGemmKernel.allCases, [
        (1, 1, 1), (7, 33, 65), (33, 65, 7), (8, 32, 16), (6, 16, 9), (13, 17, 8), (65, 130, 33), (9, 40, 300),
        (17, 1, 5), (1, 70, 9),
    ])
    func allTransposesMatchReference(kernel: CPUGemmKernel, size: (Int, Int, Int)) throws {
        let (m, n, k) = size
        for transA in [false, true] {
            for transB in [false, true] {
                let error = try checkGemm(CPUBackend(gemmKernel: kernel), transA: transA, transB: transB, m: m, n: n, k: k,
                                          alpha: 0.7, beta: 0.3, seed: UInt64(m * 1000 + n * 10 + k))
                #expect(error < 1e-5, "\(kernel) m=\(m) n=\(n) k=\(k) transA=\(transA) transB=\(transB): error \(error)")
            }
        }
    }

    /// Large enough to take the multi-threaded path and several depth blocks (k > 256).
    @Test(arguments: CPUGemmKernel.allCases)
    func threadedPathWithSeveralDepthBlocks(kernel: CPUGemmKernel) throws {
        for (transA, transB) in [(false, true), (true, false), (false, false)] {
            let error = try checkGemm(CPUBackend(gemmKernel: kernel), transA: transA, transB: transB, m: 70, n: 130, k: 270,
                                      alpha: 1, beta: 1, seed: 7)
            #expect(error < 1e-5, "\(kernel) transA=\(transA) transB=\(transB): error \(error)")
        }
    }

    /// Both kernels add each element's products in the same order, so they agree bit for bit (the choice
    /// made by timing at start-up never changes a result).
    @Test func kernelsGiveIdenticalBits() throws {
        var random = SeededRandom(5)
        let (m, n, k) = (70, 100, 300)
        for (transA, transB) in [(false, false), (true, true), (false, true)] {
            let (aValues, bValues, cValues) = (random.floats(m * k), random.floats(k * n), random.floats(m * n))
            var outputs: [[Float]] = []
            for kernel in CPUGemmKernel.allCases {
                let backend = CPUBackend(gemmKernel: kernel)
                let a = try backend.upload(aValues, shape: [transA ? k : m, transA ? m : k])
                let b = try backend.upload(bValues, shape: [transB ? n : k, transB ? k : n])
                let c = try backend.upload(cValues, shape: [m, n])
                try backend.gemm(transA ? .transposed : .none, transB ? .transposed : .none, m: m, n: n, k: k,
                                 alpha: 0.5, a: a.matrix, b: b.matrix, beta: 1, c: c.matrix)
                outputs.append(try backend.download(c))
            }
            #expect(outputs[0] == outputs[1], "transA=\(transA) transB=\(transB)")
        }
    }

    @Test func betaZeroIgnoresNaNInC() throws {
        for (transA, transB) in [(false, false), (true, true)] {
            let error = try checkGemm(backend, transA: transA, transB: transB, m: 13, n: 37, k: 11,
                                      alpha: 2, beta: 0, nanInC: true, seed: 3)
            #expect(error < 1e-5)
        }
    }

    @Test func zeroDepthOrAlphaOnlyScalesC() throws {
        for (k, alpha, beta) in [(0, Float(1), Float(0.5)), (5, 0, 2), (0, 1, 0)] {
            let error = try checkGemm(backend, transA: false, transB: false, m: 5, n: 19, k: k,
                                      alpha: alpha, beta: beta, seed: 11)
            #expect(error < 1e-6, "k=\(k) alpha=\(alpha) beta=\(beta)")
        }
    }

    @Test func rejectsViewsThatOverrunStorage() throws {
        let a = try backend.zeros([4, 3], dtype: .float32)
        let b = try backend.zeros([3, 5], dtype: .float32)
        let c = try backend.zeros([4, 5], dtype: .float32)
        #expect(throws: BackendError.self) {
            try backend.gemm(.none, .none, m: 4, n: 5, k: 4, alpha: 1, a: a.matrix, b: b.matrix, beta: 0, c: c.matrix)
        }
        #expect(throws: BackendError.self) {
            try backend.gemm(.none, .none, m: 4, n: 5, k: 3, alpha: 1, a: a.matrix, b: b.matrix, beta: 0,
                             c: MatrixView(c, ld: 4))
        }
    }

    @Test func threadGridSplitsColumnsForRecurrentShapes() {
        let grid = CPUGemm.threadGrid(m: 64, n: 1024, k: 256, threads: 2, kernel: .wide)
        #expect(grid.rows == 1 && grid.columns == 2)
        let small = CPUGemm.threadGrid(m: 4, n: 4, k: 4, threads: 2, kernel: .narrow)
        #expect(small.rows == 1 && small.columns == 1)
    }
}
