import Testing
import RecurCore

/// A prepared (prepacked) op(B) gives exactly the bits of the plain GEMM: same panels, same order of sums,
/// across depth blocks (k > 256), ragged panels (n not a multiple of nr), column blocks, both layouts and
/// both micro-kernels.
@Test(arguments: CPUGemmKernel.allCases, [(64, 1024, 256), (7, 45, 300), (64, 96, 513), (130, 33, 17), (1, 1, 1)])
func preparedOperandMatchesPlainGemm(kernel: CPUGemmKernel, _ shape: (Int, Int, Int)) throws {
    let (m, n, k) = shape
    let backend = CPUBackend(gemmKernel: kernel)
    var random = SeededRandom(UInt64(m * 31 + n * 7 + k))
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
        #expect(try backend.download(plain) == backend.download(prepared), "\(kernel) m \(m) n \(n) k \(k) transB \(transB)")
    }
}
