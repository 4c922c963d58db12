/// Batch normalisation and ReLU on the CPU: straight loops over columns (a classifier head is at most a few
/// thousand features by 64 rows), summing in the same order as `Kernels/batchnorm.cl` so the backends agree.
extension CPUBackend {
    public func batchNormStatistics(_ x: Tensor, mean: Tensor, variance: Tensor) throws {
        let (rows, columns) = (x.rows, x.columns)
        try requireSameCount(mean, variance, "batchNormStatistics")
        try require(mean.count == columns && rows > 0, "batchNormStatistics: statistics of \(mean.count) for \(x.shape)")
        let xs = try floats(x, "batchNormStatistics x"), means = try floats(mean, "mean"), variances = try floats(variance, "variance")
        for c in 0..<columns {
            var sum: Float = 0
            for r in 0..<rows { sum += xs[r * columns + c] }
            let mu = sum / Float(rows)
            var squares: Float = 0
            for r in 0..<rows {
                let d = xs[r * columns + c] - mu
                squares += d * d
            }
            means[c] = mu
            variances[c] = squares / Float(rows)
        }
    }

    public func batchNormApply(_ x: Tensor, mean: Tensor, variance: Tensor, gamma: Tensor, beta: Tensor, epsilon: Float,
                               into y: Tensor) throws {
        let (rows, columns) = (x.rows, x.columns)
        try requireSameCount(x, y, "batchNormApply")
        try require([mean, variance, gamma, beta].allSatisfy { $0.count == columns }, "batchNormApply: vectors must have \(columns) elements")
        let xs = try floats(x, "batchNormApply x"), ys = try floats(y, "batchNormApply y")
        let means = try floats(mean, "mean"), variances = try floats(variance, "variance")
        let gammas = try floats(gamma, "gamma"), betas = try floats(beta, "beta")
        for c in 0..<columns {
            let scale = gammas[c] / (variances[c] + epsilon).squareRoot()
            for r in 0..<rows { ys[r * columns + c] = (xs[r * columns + c] - means[c]) * scale + betas[c] }
        }
    }

    public func batchNormBackward(dy: Tensor, x: Tensor, mean: Tensor, variance: Tensor, gamma: Tensor, epsilon: Float,
                                  dx: Tensor, dGamma: Tensor, dBeta: Tensor) throws {
        let (rows, columns) = (x.rows, x.columns)
        try requireSameCount(x, dy, "batchNormBackward")
        try requireSameCount(x, dx, "batchNormBackward")
        try require([mean, variance, gamma, dGamma, dBeta].allSatisfy { $0.count == columns }, "batchNormBackward: vectors must have \(columns) elements")
        let dys = try floats(dy, "dy"), xs = try floats(x, "x"), dxs = try floats(dx, "dx")
        let means = try floats(mean, "mean"), variances = try floats(variance, "variance"), gammas = try floats(gamma, "gamma")
        let dGammas = try floats(dGamma, "dGamma"), dBetas = try floats(dBeta, "dBeta")
        for c in 0..<columns {
            let invStd = 1 / (variances[c] + epsilon).squareRoot()
            var sumDy: Float = 0, sumDyXhat: Float = 0
            for r in 0..<rows {
                let i = r * columns + c
                sumDy += dys[i]
                sumDyXhat += dys[i] * ((xs[i] - means[c]) * invStd)
            }
            dBetas[c] += sumDy
            dGammas[c] += sumDyXhat
            // dx = gamma * invStd / B * (B * dy - sum(dy) - xhat * sum(dy * xhat))
            let n = Float(rows), k = gammas[c] * invStd / n
            for r in 0..<rows {
                let i = r * columns + c
                let xhat = (xs[i] - means[c]) * invStd
                dxs[i] = k * (n * dys[i] - sumDy - xhat * sumDyXhat)
            }
        }
    }

    public func relu(_ x: Tensor, into y: Tensor) throws {
        try requireSameCount(x, y, "relu")
        let xs = try floats(x, "relu x"), ys = try floats(y, "relu y")
        for i in 0..<x.count { ys[i] = max(xs[i], 0) }
    }

    public func reluBackward(dy: Tensor, y: Tensor, into dx: Tensor) throws {
        try requireSameCount(dy, y, "reluBackward")
        try requireSameCount(dy, dx, "reluBackward")
        let dys = try floats(dy, "dy"), ys = try floats(y, "y"), dxs = try floats(dx, "dx")
        for i in 0..<dy.count { dxs[i] = ys[i] > 0 ? dys[i] : 0 }
    }
}
