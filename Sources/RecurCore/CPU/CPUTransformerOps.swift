import Foundation

/// The Transformer encoder's ops on the CPU: layer norm, GELU and tanh, batched GEMM for attention heads, and
/// the masked softmax with its backward. Rows are independent, so each op splits its rows across the threads;
/// sums run in row order, as in `Kernels/transformer.cl`, so the backends agree to rounding.
extension CPUBackend {
    public func layerNormForward(_ x: Tensor, gamma: Tensor, beta: Tensor, epsilon: Float,
                                 into y: Tensor, mean: Tensor, rstd: Tensor) throws {
        let (rows, columns) = (x.rows, x.columns)
        try requireSameCount(x, y, "layerNormForward")
        try require(gamma.count == columns && beta.count == columns, "layerNormForward: gamma and beta need \(columns) elements")
        try require(mean.count == rows && rstd.count == rows, "layerNormForward: mean and rstd need \(rows) elements")
        let xs = try floats(x, "layerNorm x"), ys = try floats(y, "layerNorm y")
        let gammas = try floats(gamma, "gamma"), betas = try floats(beta, "beta")
        let means = try floats(mean, "mean"), rstds = try floats(rstd, "rstd")
        rowLoop(rows: rows, workPerRow: columns * 4) { range in
            for r in range {
                let row = xs + r * columns, out = ys + r * columns
                var sum: Float = 0
                for c in 0..<columns { sum += row[c] }
                let mu = sum / Float(columns)
                var squares: Float = 0
                for c in 0..<columns {
                    let d = row[c] - mu
                    squares += d * d
                }
                let inverse = 1 / (squares / Float(columns) + epsilon).squareRoot()
                for c in 0..<columns { out[c] = (row[c] - mu) * inverse * gammas[c] + betas[c] }
                means[r] = mu
                rstds[r] = inverse
            }
        }
    }

    public func layerNormBackward(dy: Tensor, x: Tensor, mean: Tensor, rstd: Tensor, gamma: Tensor,
                                  dx: Tensor, dGamma: Tensor, dBeta: Tensor) throws {
        let (rows, columns) = (x.rows, x.columns)
        try requireSameCount(x, dy, "layerNormBackward")
        try requireSameCount(x, dx, "layerNormBackward")
        try require([gamma, dGamma, dBeta].allSatisfy { $0.count == columns }, "layerNormBackward: vectors need \(columns) elements")
        try require(mean.count == rows && rstd.count == rows, "layerNormBackward: mean and rstd need \(rows) elements")
        let dys = try floats(dy, "dy"), xs = try floats(x, "x"), dxs = try floats(dx, "dx")
        let means = try floats(mean, "mean"), rstds = try floats(rstd, "rstd"), gammas = try floats(gamma, "gamma")
        let dGammas = try floats(dGamma, "dGamma"), dBetas = try floats(dBeta, "dBeta")
        // Parameter gradients first (dx may overwrite dy): column sums over all rows.
        for r in 0..<rows {
            let row = xs + r * columns, d = dys + r * columns
            let (mu, inverse) = (means[r], rstds[r])
            for c in 0..<columns {
                dBetas[c] += d[c]
                dGammas[c] += d[c] * (row[c] - mu) * inverse
            }
        }
        // dx = rstd * (g - mean(g) - xhat * mean(g * xhat)) with g = dy * gamma.
        rowLoop(rows: rows, workPerRow: columns * 4) { range in
            for r in range {
                let row = xs + r * columns, d = dys + r * columns, out = dxs + r * columns
                let (mu, inverse) = (means[r], rstds[r])
                var sumG: Float = 0, sumGXhat: Float = 0
                for c in 0..<columns {
                    let g = d[c] * gammas[c]
                    sumG += g
                    sumGXhat += g * (row[c] - mu) * inverse
                }
                let meanG = sumG / Float(columns), meanGXhat = sumGXhat / Float(columns)
                for c in 0..<columns {
                    let xhat = (row[c] - mu) * inverse
                    out[c] = inverse * (d[c] * gammas[c] - meanG - xhat * meanGXhat)
                }
            }
        }
    }

    public func activationForward(_ function: Activation, _ x: Tensor, into y: Tensor) throws {
        try requireSameCount(x, y, "activationForward")
        let xs = try floats(x, "activation x"), ys = try floats(y, "activation y")
        vectorLoop(count: x.count) { i, width in
            let v = VectorMath.load(xs + i, count: width)
            let out: FloatVector
            switch function {
            case .gelu: out = v * VectorMath.normalCDF(v, gauss: VectorMath.exp(-0.5 * v * v))
            case .tanh: out = VectorMath.tanh(v)
            }
            VectorMath.store(out, ys + i, count: width)
        }
    }

    public func activationBackward(_ function: Activation, dy: Tensor, x: Tensor, y: Tensor, into dx: Tensor) throws {
        try requireSameCount(dy, dx, "activationBackward")
        try requireSameCount(dy, function == .gelu ? x : y, "activationBackward")
        let dys = try floats(dy, "dy"), dxs = try floats(dx, "dx")
        let source = try floats(function == .gelu ? x : y, function == .gelu ? "x" : "y")
        vectorLoop(count: dy.count) { i, width in
            let v = VectorMath.load(source + i, count: width), d = VectorMath.load(dys + i, count: width)
            let slope: FloatVector
            switch function {
            case .gelu:  // Φ(x) + x φ(x)
                let gauss = VectorMath.exp(-0.5 * v * v)
                slope = VectorMath.normalCDF(v, gauss: gauss) + v * gauss * 0.398_942_28
            case .tanh:
                slope = 1 - v * v
            }
            VectorMath.store(d * slope, dxs + i, count: width)
        }
    }

    public func batchedGemm(
        _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int, batch: BatchShape,
        alpha: Float, a: StridedMatrices, b: StridedMatrices, beta: Float, c: StridedMatrices
    ) throws {
        try require(m >= 0 && n >= 0 && k >= 0 && batch.outer >= 0 && batch.inner >= 1,
                    "batchedGemm: bad sizes m=\(m) n=\(n) k=\(k) batch=\(batch)")
        let transposedA = transA == .transposed, transposedB = transB == .transposed
        try checkBatch(a, rows: transposedA ? k : m, columns: transposedA ? m : k, batch, "batchedGemm A")
        try checkBatch(b, rows: transposedB ? n : k, columns: transposedB ? k : n, batch, "batchedGemm B")
        try checkBatch(c, rows: m, columns: n, batch, "batchedGemm C")
        let aBase = try floats(a.view.tensor, "batchedGemm A") - a.view.tensor.offset
        let bBase = try floats(b.view.tensor, "batchedGemm B") - b.view.tensor.offset
        let cBase = try floats(c.view.tensor, "batchedGemm C") - c.view.tensor.offset
        CPUGemm.batched(
            pool: pool, kernel: gemmKernel, count: batch.count, m: m, n: n, k: k, alpha: alpha,
            a: .init(base: aBase, ld: a.view.ld, transposed: transposedA),
            b: .init(base: bBase, ld: b.view.ld, transposed: transposedB),
            beta: beta, c: cBase, ldc: c.view.ld
        ) { index in (a.offset(of: index, in: batch), b.offset(of: index, in: batch), c.offset(of: index, in: batch)) }
    }

    /// Every matrix of a strided batch must fit its storage (strides are non-negative, so the last one is the
    /// furthest).
    private func checkBatch(_ m: StridedMatrices, rows: Int, columns: Int, _ batch: BatchShape, _ role: String) throws {
        if rows == 0 || columns == 0 || batch.count == 0 { return }
        try require(m.outerStride >= 0 && m.innerStride >= 0, "\(role): negative stride")
        try require(m.view.ld >= columns, "\(role): leading dimension \(m.view.ld) < \(columns) columns")
        let end = m.offset(of: batch.count - 1, in: batch) + (rows - 1) * m.view.ld + columns
        try require(m.view.offset >= 0 && end <= m.view.storage.count,
                    "\(role): \(batch.count) matrices of \(rows) x \(columns) overrun storage of \(m.view.storage.count) elements")
    }

    public func maskedSoftmax(_ scores: Tensor, keyLengths: Tensor?, rowsPerSequence: Int) throws {
        let (rows, columns) = (scores.rows, scores.columns)
        try require(rowsPerSequence > 0 && rows % rowsPerSequence == 0,
                    "maskedSoftmax: \(rows) rows are not whole sequences of \(rowsPerSequence)")
        let lengths = try lengthElements(keyLengths, batch: rows / rowsPerSequence, "maskedSoftmax")
        let values = try floats(scores, "maskedSoftmax scores")
        rowLoop(rows: rows, workPerRow: columns * 8) { range in
            for r in range {
                let row = values + r * columns
                let valid = lengths.map { min(columns, max(0, Int($0[r / rowsPerSequence]))) } ?? columns
                var largest = -Float.infinity
                for j in 0..<valid { largest = max(largest, row[j]) }
                var sum: Float = 0
                for j in 0..<valid {
                    row[j] = Foundation.exp(row[j] - largest)
                    sum += row[j]
                }
                let inverse = valid > 0 ? 1 / sum : 0
                for j in 0..<valid { row[j] *= inverse }
                for j in valid..<columns { row[j] = 0 }
            }
        }
    }

    public func softmaxBackward(probabilities: Tensor, dProbabilities: Tensor, into dScores: Tensor) throws {
        try requireSameCount(probabilities, dProbabilities, "softmaxBackward")
        try requireSameCount(probabilities, dScores, "softmaxBackward")
        let (rows, columns) = (probabilities.rows, probabilities.columns)
        let ps = try floats(probabilities, "p"), dps = try floats(dProbabilities, "dP"), out = try floats(dScores, "dScores")
        rowLoop(rows: rows, workPerRow: columns * 4) { range in
            for r in range {
                let p = ps + r * columns, dp = dps + r * columns, ds = out + r * columns
                var dot: Float = 0
                for j in 0..<columns { dot += p[j] * dp[j] }
                for j in 0..<columns { ds[j] = p[j] * (dp[j] - dot) }
            }
        }
    }
}
