import RecurCore

/// BERT's self-attention (`attention.self.{query,key,value}` and `attention.output.dense`), on a time-major
/// `[T, B, H]` sequence seen as `[T·B, H]` rows. Each head's `T x d` block is read in place by strided
/// batched GEMMs (sequence b, head h: column `b·H + h·d`, leading dimension `B·H`), so heads are never copied
/// out. Keys past a sequence's length get no attention; padded query rows are computed but never read.
public final class MultiHeadSelfAttention: ParameterContainer {
    public let query: Linear
    public let key: Linear
    public let value: Linear
    public let output: Linear
    public let heads: Int
    private let probabilityDropout: Dropout
    private var saved: (q: Tensor, k: Tensor, v: Tensor, probabilities: Tensor, attended: Tensor, queries: Int, steps: Int, batch: Int)?

    public var parameters: [Parameter] { query.parameters + key.parameters + value.parameters + output.parameters }
    public var hiddenSize: Int { query.outputSize }
    private var headSize: Int { hiddenSize / heads }

    public init(prefix: String, hiddenSize: Int, heads: Int, attentionDropout: Float,
                initializer: inout WeightInitializer, on backend: Backend) throws {
        query = try Linear(prefix: prefix + "self.query.", inputSize: hiddenSize, outputSize: hiddenSize, initializer: &initializer, on: backend)
        key = try Linear(prefix: prefix + "self.key.", inputSize: hiddenSize, outputSize: hiddenSize, initializer: &initializer, on: backend)
        value = try Linear(prefix: prefix + "self.value.", inputSize: hiddenSize, outputSize: hiddenSize, initializer: &initializer, on: backend)
        output = try Linear(prefix: prefix + "output.dense.", inputSize: hiddenSize, outputSize: hiddenSize, initializer: &initializer, on: backend)
        self.heads = heads
        probabilityDropout = Dropout(p: attentionDropout)
    }

    /// Head h of every sequence in a `[T·B, H]` activation.
    private func heads(of x: Tensor, batch: Int) -> StridedMatrices {
        StridedMatrices(MatrixView(x, ld: batch * hiddenSize), outerStride: hiddenSize, innerStride: headSize)
    }

    /// Each (sequence, head)'s `Tq x T` block of a `[B·heads·Tq, T]` score tensor.
    private func blocks(of scores: Tensor, queries: Int, keys: Int) -> StridedMatrices {
        StridedMatrices(MatrixView(scores, ld: keys), outerStride: heads * queries * keys, innerStride: queries * keys)
    }

    /// `x` `[T·B, H]` → `[Tq·B, H]`: the outputs at the first `querySteps` positions (all T when nil), each
    /// attending over all T; `lengths` `[B]` masks the keys. A classifier that reads only [CLS] asks its
    /// last layer for one step, which skips the queries and everything after attention for the other rows.
    public func forward(_ x: Tensor, steps: Int, batch: Int, lengths: Tensor?, querySteps: Int? = nil,
                        dropoutSeed: UInt64?, on backend: Backend) throws -> Tensor {
        let queries = querySteps ?? steps
        precondition(queries >= 1 && queries <= steps, "\(queries) query steps of \(steps)")
        let q = try query.forward([queries == steps ? x : x.slice(0..<(queries * batch))], on: backend)
        let (k, v) = (try key.forward([x], on: backend), try value.forward([x], on: backend))
        let shape = BatchShape(outer: batch, inner: heads)
        let scale = 1 / Float(headSize).squareRoot()
        let probabilities = try backend.uninitialized([batch * heads * queries, steps], dtype: .float32)
        try backend.batchedGemm(.none, .transposed, m: queries, n: steps, k: headSize, batch: shape, alpha: scale,
                                a: heads(of: q, batch: batch), b: heads(of: k, batch: batch), beta: 0,
                                c: blocks(of: probabilities, queries: queries, keys: steps))
        try backend.maskedSoftmax(probabilities, keyLengths: lengths, rowsPerSequence: heads * queries)
        var attended = probabilities
        if dropoutSeed != nil, probabilityDropout.p > 0 {
            attended = try backend.uninitialized(probabilities.shape, dtype: .float32)
            try backend.copy(probabilities, to: attended)
        }
        try probabilityDropout.forward(attended, seed: dropoutSeed, on: backend)
        let context = try backend.uninitialized([queries * batch, hiddenSize], dtype: .float32)
        try backend.batchedGemm(.none, .none, m: queries, n: headSize, k: steps, batch: shape, alpha: 1,
                                a: blocks(of: attended, queries: queries, keys: steps), b: heads(of: v, batch: batch), beta: 0,
                                c: heads(of: context, batch: batch))
        saved = (q, k, v, probabilities, attended, queries, steps, batch)
        return try output.forward([context], on: backend)
    }

    /// Accumulates the parameter gradients; returns the gradient w.r.t. the input `[T·B, H]` (a new tensor).
    public func backward(_ dOutput: Tensor, on backend: Backend) throws -> Tensor {
        guard let (q, k, v, probabilities, attended, queries, steps, batch) = saved else { preconditionFailure("backward before forward") }
        let shape = BatchShape(outer: batch, inner: heads)
        let scale = 1 / Float(headSize).squareRoot()
        let scoreBlocks = { (scores: Tensor) in self.blocks(of: scores, queries: queries, keys: steps) }
        let dContext = try output.backward(dOutput, on: backend)[0]
        // dV = Pᵀ·dC and dP = dC·Vᵀ per head.
        let dV = try backend.uninitialized(v.shape, dtype: .float32)
        try backend.batchedGemm(.transposed, .none, m: steps, n: headSize, k: queries, batch: shape, alpha: 1,
                                a: scoreBlocks(attended), b: heads(of: dContext, batch: batch), beta: 0,
                                c: heads(of: dV, batch: batch))
        let dScores = try backend.uninitialized(probabilities.shape, dtype: .float32)
        try backend.batchedGemm(.none, .transposed, m: queries, n: steps, k: headSize, batch: shape, alpha: 1,
                                a: heads(of: dContext, batch: batch), b: heads(of: v, batch: batch), beta: 0,
                                c: scoreBlocks(dScores))
        try probabilityDropout.backward(dScores, on: backend)
        try backend.softmaxBackward(probabilities: probabilities, dProbabilities: dScores, into: dScores)
        // S = scale·Q·Kᵀ: dQ = scale·dS·K, dK = scale·dSᵀ·Q.
        let dQ = try backend.uninitialized(q.shape, dtype: .float32)
        try backend.batchedGemm(.none, .none, m: queries, n: headSize, k: steps, batch: shape, alpha: scale,
                                a: scoreBlocks(dScores), b: heads(of: k, batch: batch), beta: 0,
                                c: heads(of: dQ, batch: batch))
        let dK = try backend.uninitialized(k.shape, dtype: .float32)
        try backend.batchedGemm(.transposed, .none, m: steps, n: headSize, k: queries, batch: shape, alpha: scale,
                                a: scoreBlocks(dScores), b: heads(of: q, batch: batch), beta: 0,
                                c: heads(of: dK, batch: batch))
        let dx = try key.backward(dK, on: backend)[0]
        try backend.axpy(alpha: 1, x: try value.backward(dV, on: backend)[0], y: dx)
        try backend.axpy(alpha: 1, x: try query.backward(dQ, on: backend)[0], y: dx.slice(0..<(queries * batch)))
        saved = nil
        return dx
    }
}
