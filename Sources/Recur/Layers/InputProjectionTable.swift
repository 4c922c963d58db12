import RecurCore

/// Layer 0's input projection for every word of the vocabulary, per direction: `[V, G]` rows of
/// `embedding·W_ihᵀ + bias`. An inference pass then gathers one row per token instead of multiplying every
/// token's embedding by W_ih; for an LSTM with E 128 and H 256 that GEMM is a third of the forward FLOPs.
/// Each row is computed by the same GEMM and bias add the direct path runs, so on the CPU backend the
/// results are bit-identical. The table holds the weights as they were when it was built: it lives for one
/// inference pass, never across training steps.
public struct InputProjectionTable {
    /// `[V, G]` per direction of layer 0.
    public let directions: [Tensor]
    /// Layer 0's W_hh per direction, prepared (packed) for the recurrent GEMM once for the table's life instead
    /// of once per batch: the table stands for fixed weights anyway.
    public let recurrentWeights: [PreparedGEMMOperand]

    /// Tables above this size are not built; the direct path needs no extra memory.
    public static let byteBudget = 256 << 20

    public init(embedding: Embedding, firstLayer: [RecurrentDirection], on backend: Backend) throws {
        directions = try firstLayer.map { try $0.projectInputs([embedding.weight.value], on: backend) }
        recurrentWeights = try firstLayer.map { try $0.prepareRecurrentWeight(on: backend) }
    }

    public static func byteCount(vocabularySize: Int, firstLayer: [RecurrentDirection]) -> Int {
        firstLayer.reduce(0) { $0 + vocabularySize * $1.cell.gateCount * $1.hiddenSize * MemoryLayout<Float>.size }
    }

    /// Layer 0's input projections for time-major `tokens` `[T, B]`, one direction's table, gathered step by
    /// step as the recurrence reads them.
    public func input(_ tokens: Tensor, direction: Int) -> GatheredInput {
        GatheredInput(table: directions[direction], tokens: tokens)
    }
}

/// Layer 0's input projection of a batch as rows of an `InputProjectionTable`: each recurrent step copies its
/// `[B, G]` rows into a buffer it reuses, so the projections of the whole batch (`[T, B, G]`: 105 MB for an
/// LSTM 256 over 400 steps of 64 texts) never exist at once and the step's rows are in cache when it reads them.
public struct GatheredInput {
    /// `[V, G]`.
    public let table: Tensor
    /// Time-major int32 `[T, B]`.
    public let tokens: Tensor

    /// Step `t`'s rows into `gates` `[B, G]`.
    func gather(step t: Int, into gates: Tensor, on backend: Backend) throws {
        try backend.embeddingForward(weight: table, tokens: tokens.slice(t), output: gates)
    }
}
