import Foundation

// Row softmax and softmax cross-entropy. Rows are split across threads; within a row three vectorized
// passes: the max (for stability), exp(x − max) with its sum, and the normalization.

extension CPUBackend {
    public func softmax(_ logits: Tensor, into probabilities: Tensor) throws {
        let classes = logits.columns, rows = logits.rows
        try requireMatrix(probabilities, rows: rows, columns: classes, "softmax probabilities")
        let x = try floats(logits, "softmax logits"), p = try floats(probabilities, "softmax probabilities")
        rowLoop(rows: rows, workPerRow: 4 * classes) { range in
            for r in range { _ = Self.softmaxRow(x + r * classes, into: p + r * classes, count: classes) }
        }
    }

    public func softmaxCrossEntropy(
        logits: Tensor, targets: Tensor, classWeights: Tensor?, ignoreIndex: Int32?,
        probabilities: Tensor, rowLosses: Tensor
    ) throws {
        let classes = logits.columns, rows = logits.rows
        try requireMatrix(probabilities, rows: rows, columns: classes, "softmaxCrossEntropy probabilities")
        try require(rowLosses.count == rows, "softmaxCrossEntropy: rowLosses has shape \(rowLosses.shape), expected [\(rows)]")
        let y = try checkedTargets(targets, rows: rows, classes: classes, ignoreIndex: ignoreIndex, "softmaxCrossEntropy")
        let w = try classWeightPointer(classWeights, classes: classes, "softmaxCrossEntropy")
        let x = try floats(logits, "logits"), p = try floats(probabilities, "probabilities")
        let losses = try floats(rowLosses, "rowLosses")
        rowLoop(rows: rows, workPerRow: 4 * classes) { range in
            for r in range {
                let row = x + r * classes
                let logSumExp = Self.softmaxRow(row, into: p + r * classes, count: classes)
                let target = y[r]
                if target == ignoreIndex {
                    losses[r] = 0
                } else {
                    let weight = w.map { $0[Int(target)] } ?? 1
                    losses[r] = weight * (logSumExp - row[Int(target)])
                }
            }
        }
    }

    public func softmaxCrossEntropyBackward(
        probabilities: Tensor, targets: Tensor, classWeights: Tensor?, ignoreIndex: Int32?,
        scale: Float, dLogits: Tensor
    ) throws {
        let classes = probabilities.columns, rows = probabilities.rows
        try requireMatrix(dLogits, rows: rows, columns: classes, "softmaxCrossEntropyBackward dLogits")
        let y = try checkedTargets(targets, rows: rows, classes: classes, ignoreIndex: ignoreIndex, "softmaxCrossEntropyBackward")
        let w = try classWeightPointer(classWeights, classes: classes, "softmaxCrossEntropyBackward")
        let p = try floats(probabilities, "probabilities"), d = try floats(dLogits, "dLogits")
        rowLoop(rows: rows, workPerRow: classes) { range in
            for r in range {
                let out = d + r * classes
                let target = y[r]
                if target == ignoreIndex {
                    out.update(repeating: 0, count: classes)
                    continue
                }
                let factor = scale * (w.map { $0[Int(target)] } ?? 1)
                let source = p + r * classes
                var c = 0
                while c < classes {
                    let width = min(16, classes - c)
                    VectorMath.store(VectorMath.load(source + c, count: width) * factor, out + c, count: width)
                    c += 16
                }
                out[Int(target)] -= factor
            }
        }
    }

    private static let laneIndices = SIMD16<Int32>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)

    /// Writes softmax(row) and returns logsumexp(row).
    private static func softmaxRow(_ x: UnsafeMutablePointer<Float>, into p: UnsafeMutablePointer<Float>, count: Int) -> Float {
        var maxima = FloatVector(repeating: -.infinity)
        var c = 0
        while c + 16 <= count {
            let v = UnsafeRawPointer(x + c).loadUnaligned(as: FloatVector.self)
            maxima = maxima.replacing(with: v, where: v .> maxima)
            c += 16
        }
        var maximum = maxima.max()
        while c < count { maximum = max(maximum, x[c]); c += 1 }

        var sums = FloatVector()
        c = 0
        while c < count {
            let width = min(16, count - c)
            var e = VectorMath.exp(VectorMath.load(x + c, count: width) - maximum)
            if width < 16 { e = e.replacing(with: 0, where: Self.laneIndices .>= Int32(width)) }  // tail lanes
            VectorMath.store(e, p + c, count: width)
            sums += e
            c += 16
        }
        let sum = sums.sum()
        let inverse = 1 / sum
        c = 0
        while c < count {
            let width = min(16, count - c)
            VectorMath.store(VectorMath.load(p + c, count: width) * inverse, p + c, count: width)
            c += 16
        }
        return maximum + Foundation.log(sum)
    }

    /// The int32 targets, each a class index or `ignoreIndex`.
    private func checkedTargets(_ targets: Tensor, rows: Int, classes: Int, ignoreIndex: Int32?, _ role: String) throws -> Int32Elements {
        try require(targets.count == rows, "\(role): targets has shape \(targets.shape), expected [\(rows)]")
        let y = try ints(targets, "\(role) targets")
        for r in 0..<rows where y[r] != ignoreIndex {
            try require(y[r] >= 0 && Int(y[r]) < classes, "\(role): target \(y[r]) in row \(r) is outside 0..<\(classes)")
        }
        return y
    }

    private func classWeightPointer(_ weights: Tensor?, classes: Int, _ role: String) throws -> UnsafeMutablePointer<Float>? {
        guard let weights else { return nil }
        try require(weights.count == classes, "\(role): classWeights has shape \(weights.shape), expected [\(classes)]")
        return try floats(weights, "\(role) classWeights")
    }
}
