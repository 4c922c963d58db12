import RecurCore

/// The Transformer encoder's ops (`Kernels/transformer.cl`).
extension OpenCLBackend {
    public func layerNormForward(_ x: Tensor, gamma: Tensor, beta: Tensor, epsilon: Float,
                                 into y: Tensor, mean: Tensor, rstd: Tensor) throws {
        let (rows, columns) = (x.rows, x.columns)
        guard y.count == x.count, gamma.count == columns, beta.count == columns, mean.count == rows, rstd.count == rows else {
            throw BackendError.invalidArgument("layerNormForward: \(x.shape) with gamma \(gamma.count), mean \(mean.count), y \(y.count)")
        }
        try launchElementwise("layernorm_forward", in: "transformer", count: rows, [
            .tensor(x), .tensor(gamma), .tensor(beta), .float(epsilon), .tensor(y), .tensor(mean), .tensor(rstd),
            .int(rows), .int(columns),
        ])
    }

    public func layerNormBackward(dy: Tensor, x: Tensor, mean: Tensor, rstd: Tensor, gamma: Tensor,
                                  dx: Tensor, dGamma: Tensor, dBeta: Tensor) throws {
        let (rows, columns) = (x.rows, x.columns)
        guard dy.count == x.count, dx.count == x.count, [gamma, dGamma, dBeta].allSatisfy({ $0.count == columns }),
              mean.count == rows, rstd.count == rows else {
            throw BackendError.invalidArgument("layerNormBackward: \(x.shape) with gamma \(gamma.count), mean \(mean.count)")
        }
        // Parameter gradients first: dx may overwrite dy.
        try launchElementwise("layernorm_backward_parameters", in: "transformer", count: columns, [
            .tensor(dy), .tensor(x), .tensor(mean), .tensor(rstd), .tensor(dGamma), .tensor(dBeta), .int(rows), .int(columns),
        ])
        try launchElementwise("layernorm_backward_input", in: "transformer", count: rows, [
            .tensor(dy), .tensor(x), .tensor(mean), .tensor(rstd), .tensor(gamma), .tensor(dx), .int(rows), .int(columns),
        ])
    }

    public func activationForward(_ function: Activation, _ x: Tensor, into y: Tensor) throws {
        guard x.count == y.count else { throw BackendError.invalidArgument("activationForward: \(x.shape) into \(y.shape)") }
        try launchElementwise("activation_forward", in: "transformer", count: x.count, [
            .int(function.kernelCode), .tensor(x), .tensor(y), .int(x.count),
        ])
    }

    public func activationBackward(_ function: Activation, dy: Tensor, x: Tensor, y: Tensor, into dx: Tensor) throws {
        let source = function == .gelu ? x : y
        guard dy.count == dx.count, dy.count == source.count else {
            throw BackendError.invalidArgument("activationBackward: \(dy.shape), \(source.shape), \(dx.shape)")
        }
        try launchElementwise("activation_backward", in: "transformer", count: dy.count, [
            .int(function.kernelCode), .tensor(dy), .tensor(source), .tensor(dx), .int(dy.count),
        ])
    }

    public func batchedGemm(
        _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int, batch: BatchShape,
        alpha: Float, a: StridedMatrices, b: StridedMatrices, beta: Float, c: StridedMatrices
    ) throws {
        guard m >= 0, n >= 0, k >= 0, batch.outer >= 0, batch.inner >= 1 else {
            throw BackendError.invalidArgument("batchedGemm with m \(m), n \(n), k \(k), batch \(batch)")
        }
        if m == 0 || n == 0 || batch.count == 0 { return }
        let (aRowStride, aColumnStride) = transA == .none ? (a.view.ld, 1) : (1, a.view.ld)
        let (bRowStride, bColumnStride) = transB == .none ? (b.view.ld, 1) : (1, b.view.ld)
        try checkBatchExtent("A", a, rows: m, columns: k, rowStride: aRowStride, columnStride: aColumnStride, batch)
        try checkBatchExtent("B", b, rows: k, columns: n, rowStride: bRowStride, columnStride: bColumnStride, batch)
        try checkBatchExtent("C", c, rows: m, columns: n, rowStride: c.view.ld, columnStride: 1, batch)
        if style == .cpu, bColumnStride == 1, n % 16 == 0 {
            // A head's 32 columns of B contiguous: 16-wide vectors (see gemm_batched_rows16).
            try launch("gemm_batched_rows16", in: "transformer", global: [n / 16, ceilDiv(m, 4), batch.count], local: nil, [
                .int(m), .int(n), .int(k), .int(batch.inner), .float(alpha),
                .matrix(a.view), .int(aRowStride), .int(aColumnStride), .int(a.outerStride), .int(a.innerStride),
                .matrix(b.view), .int(bRowStride), .int(b.outerStride), .int(b.innerStride),
                .float(beta), .matrix(c.view), .int(c.view.ld), .int(c.outerStride), .int(c.innerStride),
            ])
            return
        }
        if style == .cpu, aColumnStride == 1, bRowStride == 1 {
            // Both operands contiguous along k: dot products (see gemm_batched_dot).
            try launch("gemm_batched_dot", in: "transformer", global: [ceilDiv(n, 4), ceilDiv(m, 4), batch.count], local: nil, [
                .int(m), .int(n), .int(k), .int(batch.inner), .float(alpha),
                .matrix(a.view), .int(aRowStride), .int(a.outerStride), .int(a.innerStride),
                .matrix(b.view), .int(bColumnStride), .int(b.outerStride), .int(b.innerStride),
                .float(beta), .matrix(c.view), .int(c.view.ld), .int(c.outerStride), .int(c.innerStride),
            ])
            return
        }
        try launch("gemm_batched", in: "transformer", global: [ceilDiv(n, 4), ceilDiv(m, 4), batch.count], local: nil, [
            .int(m), .int(n), .int(k), .int(batch.inner), .float(alpha),
            .matrix(a.view), .int(aRowStride), .int(aColumnStride), .int(a.outerStride), .int(a.innerStride),
            .matrix(b.view), .int(bRowStride), .int(bColumnStride), .int(b.outerStride), .int(b.innerStride),
            .float(beta), .matrix(c.view), .int(c.view.ld), .int(c.outerStride), .int(c.innerStride),
        ])
    }

    /// The last matrix of the batch (strides are non-negative, so the furthest) must fit the storage.
    private func checkBatchExtent(_ label: String, _ m: StridedMatrices, rows: Int, columns: Int, rowStride: Int,
                                  columnStride: Int, _ batch: BatchShape) throws {
        guard rows > 0, columns > 0 else { return }
        let last = m.offset(of: batch.count - 1, in: batch) + (rows - 1) * rowStride + (columns - 1) * columnStride
        guard m.view.offset >= 0, m.outerStride >= 0, m.innerStride >= 0, last < m.view.storage.count else {
            throw BackendError.invalidArgument(
                "batchedGemm: \(label), \(batch.count) matrices of \(rows) x \(columns), exceeds its storage of \(m.view.storage.count)")
        }
    }

    public func maskedSoftmax(_ scores: Tensor, keyLengths: Tensor?, rowsPerSequence: Int) throws {
        let (rows, columns) = (scores.rows, scores.columns)
        guard rowsPerSequence > 0, rows % rowsPerSequence == 0,
              keyLengths.map({ $0.count == rows / rowsPerSequence }) ?? true else {
            throw BackendError.invalidArgument("maskedSoftmax: \(rows) rows in sequences of \(rowsPerSequence), lengths \(keyLengths?.shape ?? [])")
        }
        try launchElementwise("masked_softmax", in: "transformer", count: rows, [
            .tensor(scores), .lengths(keyLengths), .int(rows), .int(columns), .int(rowsPerSequence),
        ])
    }

    public func softmaxBackward(probabilities: Tensor, dProbabilities: Tensor, into dScores: Tensor) throws {
        guard probabilities.count == dProbabilities.count, probabilities.count == dScores.count else {
            throw BackendError.invalidArgument("softmaxBackward: \(probabilities.shape), \(dProbabilities.shape), \(dScores.shape)")
        }
        try launchElementwise("softmax_backward_rows", in: "transformer", count: probabilities.rows, [
            .tensor(probabilities), .tensor(dProbabilities), .tensor(dScores), .int(probabilities.rows), .int(probabilities.columns),
        ])
    }
}

extension Activation {
    /// The kernels' `ACTIVATION_*` constant.
    var kernelCode: Int {
        switch self {
        case .gelu: 0
        case .tanh: 1
        }
    }
}
