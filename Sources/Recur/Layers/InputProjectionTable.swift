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

    /// Layer 0's input projections `[T, B, G]` per direction for time-major `tokens` `[T, B]`.
    public func gather(_ tokens: Tensor, on backend: Backend) throws -> [Tensor] {
        try directions.map { table in
            let gates = try backend.uninitialized(tokens.shape + [table.columns], dtype: .float32)
            try backend.embeddingForward(weight: table, tokens: tokens.reshaped([tokens.count]),
                                         output: gates.reshaped([tokens.count, table.columns]))
            return gates
        }
    }
}
