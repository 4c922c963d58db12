import RecurCore

/// One post-norm BERT layer (`encoder.layer.N.*`):
/// h₁ = LayerNorm(x + dropout(attention(x))), h₂ = LayerNorm(h₁ + dropout(W₂·GELU(W₁·h₁))).
public final class TransformerEncoderLayer: ParameterContainer {
    public let attention: MultiHeadSelfAttention
    public let attentionNorm: LayerNorm
    public let intermediate: Linear
    public let output: Linear
    public let outputNorm: LayerNorm
    private let attentionDropout: Dropout
    private let outputDropout: Dropout
    private var savedIntermediate: Tensor?

    public var parameters: [Parameter] {
        attention.parameters + attentionNorm.parameters + intermediate.parameters + output.parameters + outputNorm.parameters
    }

    public init(prefix: String, config: BertConfig, initializer: inout WeightInitializer, on backend: Backend) throws {
        attention = try MultiHeadSelfAttention(prefix: prefix + "attention.", hiddenSize: config.hiddenSize, heads: config.heads,
                                               attentionDropout: config.attentionDropout, initializer: &initializer, on: backend)
        attentionNorm = try LayerNorm(prefix: prefix + "attention.output.LayerNorm.", features: config.hiddenSize,
                                      epsilon: config.layerNormEpsilon, on: backend)
        intermediate = try Linear(prefix: prefix + "intermediate.dense.", inputSize: config.hiddenSize,
                                  outputSize: config.intermediateSize, initializer: &initializer, on: backend)
        output = try Linear(prefix: prefix + "output.dense.", inputSize: config.intermediateSize,
                            outputSize: config.hiddenSize, initializer: &initializer, on: backend)
        outputNorm = try LayerNorm(prefix: prefix + "output.LayerNorm.", features: config.hiddenSize,
                                   epsilon: config.layerNormEpsilon, on: backend)
        attentionDropout = Dropout(p: config.hiddenDropout)
        outputDropout = Dropout(p: config.hiddenDropout)
    }

    /// `x` `[T·B, H]` → `[Tq·B, H]`, the outputs at the first `querySteps` positions (all T when nil; see
    /// `MultiHeadSelfAttention`). Dropout sites draw from `dropoutSeed` plus a site number.
    public func forward(_ x: Tensor, steps: Int, batch: Int, lengths: Tensor?, querySteps: Int? = nil,
                        dropoutSeed: UInt64?, on backend: Backend) throws -> Tensor {
        let attended = try attention.forward(x, steps: steps, batch: batch, lengths: lengths, querySteps: querySteps,
                                             dropoutSeed: dropoutSeed.map { $0 &+ 1 }, on: backend)
        try attentionDropout.forward(attended, seed: dropoutSeed.map { $0 &+ 2 }, on: backend)
        try backend.axpy(alpha: 1, x: querySteps.map { x.slice(0..<($0 * batch)) } ?? x, y: attended)
        let h1 = try attentionNorm.forward(attended, on: backend)
        let preactivation = try intermediate.forward([h1], on: backend)
        let activated = try backend.uninitialized(preactivation.shape, dtype: .float32)
        try backend.activationForward(.gelu, preactivation, into: activated)
        let projected = try output.forward([activated], on: backend)
        try outputDropout.forward(projected, seed: dropoutSeed.map { $0 &+ 3 }, on: backend)
        try backend.axpy(alpha: 1, x: h1, y: projected)
        savedIntermediate = preactivation
        return try outputNorm.forward(projected, on: backend)
    }

    /// Accumulates the parameter gradients; returns the gradient w.r.t. the input `[T·B, H]`. `dy` is overwritten.
    public func backward(_ dy: Tensor, on backend: Backend) throws -> Tensor {
        guard let preactivation = savedIntermediate else { preconditionFailure("backward before forward") }
        let dSum2 = try outputNorm.backward(dy, on: backend)  // d(h₁ + dropout(FFN(h₁)))
        let dProjected = try backend.uninitialized(dSum2.shape, dtype: .float32)
        try backend.copy(dSum2, to: dProjected)
        try outputDropout.backward(dProjected, on: backend)
        let dActivated = try output.backward(dProjected, on: backend)[0]
        try backend.activationBackward(.gelu, dy: dActivated, x: preactivation, y: preactivation, into: dActivated)
        let dH1 = try intermediate.backward(dActivated, on: backend)[0]
        try backend.axpy(alpha: 1, x: dSum2, y: dH1)
        let dSum1 = try attentionNorm.backward(dH1, on: backend)  // d(x + dropout(attention(x)))
        let dAttended = try backend.uninitialized(dSum1.shape, dtype: .float32)
        try backend.copy(dSum1, to: dAttended)
        try attentionDropout.backward(dAttended, on: backend)
        let dx = try attention.backward(dAttended, on: backend)
        try backend.axpy(alpha: 1, x: dSum1, y: dx.slice(0..<dSum1.rows))
        savedIntermediate = nil
        return dx
    }
}
