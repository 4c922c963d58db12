// Reductions: bias gradients (column sums), global sums in Double, and gradient-norm clipping.

extension CPUBackend {
    public func sumRows(_ matrix: Tensor, into vector: Tensor, accumulate: Bool) throws {
        let columns = vector.count
        let rows = columns == 0 ? 0 : matrix.count / columns
        try requireMatrix(matrix, rows: rows, columns: columns, "sumRows matrix")
        let m = try floats(matrix, "sumRows matrix")
        let v = try floats(vector, "sumRows vector")
        // Threads take column ranges and add the rows in order, so the result does not depend on them. Each
        // thread sweeps its columns row by row into a running sum: the reads stream through memory, where a
        // 16-column strip walked down all rows would read one line per row, ld apart (a bias gradient over
        // 4096 x 1024 gate gradients: 3% of an LSTM training step).
        pool.parallelFor(count: columns, grain: max(16, Self.parallelGrain / max(rows, 1))) { range in
            let start = v + range.lowerBound, width = range.count
            if !accumulate { start.update(repeating: 0, count: width) }
            for r in 0..<rows {
                let row = m + r * columns + range.lowerBound
                var c = 0
                while c < width {
                    let lanes = min(16, width - c)
                    VectorMath.store(VectorMath.load(start + c, count: lanes) + VectorMath.load(row + c, count: lanes),
                                     start + c, count: lanes)
                    c += 16
                }
            }
        }
    }

    public func sum(_ x: Tensor, into result: Tensor, accumulate: Bool) throws {
        try reduce(x, into: result, accumulate: accumulate, "sum") { $0 }
    }

    public func sumOfSquares(_ x: Tensor, into result: Tensor, accumulate: Bool) throws {
        try reduce(x, into: result, accumulate: accumulate, "sumOfSquares") { $0 * $0 }
    }

    public func clipScale(_ x: Tensor, normSquared: Tensor, maxNorm: Float) throws {
        try require(normSquared.count == 1, "clipScale: normSquared must hold one element, got \(normSquared.shape)")
        let total = try floats(normSquared, "clipScale normSquared").pointee
        // As clip_grad_norm_: the coefficient in float32, clamped to 1.
        let norm = Float(Double(total).squareRoot())
        let coefficient = min(1, maxNorm / (norm + 1e-6))
        if coefficient < 1 { try scale(x, by: coefficient) }
    }

    /// `result[0] (+)= Σ transform(x[i])`: Float lanes within blocks of 1024 elements, Double across blocks,
    /// per thread over a contiguous range, then the partial sums in thread order.
    private func reduce(
        _ x: Tensor, into result: Tensor, accumulate: Bool, _ role: String,
        _ transform: (FloatVector) -> FloatVector
    ) throws {
        try require(result.count == 1, "\(role): result must hold one element, got \(result.shape)")
        let xs = try floats(x, "\(role) x")
        let out = try floats(result, "\(role) result")
        let count = x.count
        let parts = max(1, min(pool.threadCount, count / Self.parallelGrain))
        var partials = [Double](repeating: 0, count: parts)
        partials.withUnsafeMutableBufferPointer { partials in
            pool.run(tasks: parts) { task, _ in
                let start = count * task / parts
                let end = count * (task + 1) / parts
                // Float lanes over blocks of 1024 elements, each block's lanes added into a Double.
                var total = 0.0
                var blockStart = start
                while blockStart < end {
                    let blockEnd = min(end, blockStart + 1024)
                    var lanes = FloatVector()
                    var i = blockStart
                    while i < blockEnd {
                        let width = min(16, blockEnd - i)
                        lanes += transform(VectorMath.load(xs + i, count: width))
                        i += 16
                    }
                    for lane in 0..<16 { total += Double(lanes[lane]) }
                    blockStart = blockEnd
                }
                partials[task] = total
            }
        }
        let total = partials.reduce(0, +)
        out.pointee = Float(accumulate ? Double(out.pointee) + total : total)
    }
}
