import RecurCore
import Testing
@testable import RecurOpenCL

/// The Transformer encoder's ops on every OpenCL backend against the CPU backend: strided batched GEMM (each
/// transpose pair, heads read in place from a time-major activation), layer norm forward and backward, GELU
/// and tanh with their slopes, and the masked attention softmax with its backward.
extension OpenCLOpTests {
    /// Heads of width 5 take the generic kernel; of 32 (MiniLM's), the vectorized ones on CPU devices.
    @Test(arguments: [(7, 5), (9, 32)])
    func batchedGemmAgreesWithCPUBackend(steps: Int, d: Int) throws {
        // Sequences of a [T, B, H] activation with heads of width d, as attention reads them.
        let (batch, heads) = (3, 4)
        let hidden = heads * d
        let shape = BatchShape(outer: batch, inner: heads)
        for (transA, transB) in [(Transpose.none, Transpose.none), (.transposed, .none), (.none, .transposed), (.transposed, .transposed)] {
            try expectAgreement("batchedGemm \(transA) \(transB)") { backend, random in
                let x = try backend.upload(random.floats(steps * batch * hidden), shape: [steps * batch, hidden])
                let heads = StridedMatrices(MatrixView(x, ld: batch * hidden), outerStride: hidden, innerStride: d)
                let scores = try backend.upload(random.floats(batch * 4 * steps * steps), shape: [batch * 4 * steps, steps])
                let blocks = StridedMatrices(MatrixView(scores, ld: steps), outerStride: 4 * steps * steps, innerStride: steps * steps)
                if transA == .none && transB == .transposed {  // S = Q·Kᵀ, both T x d heads
                    try backend.batchedGemm(.none, .transposed, m: steps, n: steps, k: d, batch: shape, alpha: 0.5,
                                            a: heads, b: heads, beta: 0.25, c: blocks)
                    return [scores]
                }
                // Products of a T x T block with a head: P·V (none, none), Pᵀ·dC (transposed, none).
                let output = try backend.upload(random.floats(steps * batch * hidden), shape: [steps * batch, hidden])
                let outputHeads = StridedMatrices(MatrixView(output, ld: batch * hidden), outerStride: hidden, innerStride: d)
                if transB == .none {
                    try backend.batchedGemm(transA, .none, m: steps, n: d, k: steps, batch: shape, alpha: 1.5,
                                            a: blocks, b: heads, beta: 0, c: outputHeads)
                } else {
                    // (transposed, transposed): C (d x T) = Hᵀ (d x T) · Sᵀ (T x T), into a [B·4·d, T] tensor.
                    let small = try backend.upload(random.floats(batch * 4 * d * steps), shape: [batch * 4 * d, steps])
                    let smallBlocks = StridedMatrices(MatrixView(small, ld: steps), outerStride: 4 * d * steps, innerStride: d * steps)
                    try backend.batchedGemm(.transposed, .transposed, m: d, n: steps, k: steps, batch: shape, alpha: 1,
                                            a: heads, b: blocks, beta: 1, c: smallBlocks)
                    return [small]
                }
                return [output]
            }
        }
    }

    @Test func layerNormAgreesWithCPUBackend() throws {
        try expectAgreement("layerNorm forward and backward") { backend, random in
            let (rows, columns) = (13, 37)
            let x = try backend.upload(random.floats(rows * columns, in: -3...3), shape: [rows, columns])
            let gamma = try backend.upload(random.floats(columns), shape: [columns])
            let beta = try backend.upload(random.floats(columns), shape: [columns])
            let y = try backend.zeros([rows, columns], dtype: .float32)
            let mean = try backend.zeros([rows], dtype: .float32), rstd = try backend.zeros([rows], dtype: .float32)
            try backend.layerNormForward(x, gamma: gamma, beta: beta, epsilon: 1e-12, into: y, mean: mean, rstd: rstd)
            let dy = try backend.upload(random.floats(rows * columns), shape: [rows, columns])
            let dGamma = try backend.upload(random.floats(columns), shape: [columns])
            let dBeta = try backend.upload(random.floats(columns), shape: [columns])
            let dx = try backend.zeros([rows, columns], dtype: .float32)
            try backend.layerNormBackward(dy: dy, x: x, mean: mean, rstd: rstd, gamma: gamma, dx: dx, dGamma: dGamma, dBeta: dBeta)
            return [y, mean, rstd, dx, dGamma, dBeta]
        }
    }

    @Test func activationsAgreeWithCPUBackend() throws {
        for function in [Activation.gelu, .tanh] {
            try expectAgreement("\(function) forward and backward", abs: 2e-6) { backend, random in
                let count = 1000
                let x = try backend.upload(random.floats(count, in: -6...6), shape: [count])
                let y = try backend.zeros([count], dtype: .float32)
                try backend.activationForward(function, x, into: y)
                let dy = try backend.upload(random.floats(count), shape: [count])
                let dx = try backend.zeros([count], dtype: .float32)
                try backend.activationBackward(function, dy: dy, x: x, y: y, into: dx)
                return [y, dx]
            }
        }
    }

    @Test func maskedSoftmaxAgreesWithCPUBackend() throws {
        try expectAgreement("maskedSoftmax and softmaxBackward") { backend, random in
            let (sequences, rowsPerSequence, keys) = (3, 8, 9)
            let scores = try backend.upload(random.floats(sequences * rowsPerSequence * keys, in: -5...5),
                                            shape: [sequences * rowsPerSequence, keys])
            let lengths = try backend.upload([9, 4, 1] as [Int32], shape: [sequences])
            try backend.maskedSoftmax(scores, keyLengths: lengths, rowsPerSequence: rowsPerSequence)
            let dP = try backend.upload(random.floats(scores.count), shape: scores.shape)
            let dS = try backend.zeros(scores.shape, dtype: .float32)
            try backend.softmaxBackward(probabilities: scores, dProbabilities: dP, into: dS)
            return [scores, dS]
        }
    }
}
