import RecurCore

/// ULMFiT's classifier head before its last layer (fastai's `PoolingLinearClassifier`): BatchNorm → dropout →
/// Linear(features, hidden) → ReLU → BatchNorm → dropout; the classifier's `fc` then maps `hidden` to classes.
/// Names follow the PyTorch twin `nn.Sequential(BatchNorm1d, Dropout, Linear, ReLU, BatchNorm1d, Dropout)`
/// under `head.`: `head.0.*`, `head.2.*`, `head.4.*`.
public final class ULMFiTHead: ParameterContainer {
    public let inputNorm: BatchNorm1d
    public let hidden: Linear
    public let hiddenNorm: BatchNorm1d
    public let inputDropout: Float
    public let hiddenDropout: Float
    private var saved: (inputMasks: [Tensor], activation: Tensor, hiddenMask: Tensor?)?

    public var parameters: [Parameter] { inputNorm.parameters + hidden.parameters + hiddenNorm.parameters }

    public init(features: Int, hiddenSize: Int, inputDropout: Float, hiddenDropout: Float,
                initializer: inout WeightInitializer, on backend: Backend) throws {
        inputNorm = try BatchNorm1d(prefix: "head.0.", features: features, on: backend)
        hidden = try Linear(prefix: "head.2.", inputSize: features, outputSize: hiddenSize, initializer: &initializer, on: backend)
        hiddenNorm = try BatchNorm1d(prefix: "head.4.", features: hiddenSize, on: backend)
        self.inputDropout = inputDropout
        self.hiddenDropout = hiddenDropout
    }

    /// `[B, hidden]` from pooled feature blocks. A `dropoutSeed` means training (batch statistics, dropout).
    public func forward(_ features: [Tensor], dropoutSeed: UInt64?, updateRunningStatistics: Bool = true,
                        on backend: Backend) throws -> Tensor {
        let training = dropoutSeed != nil
        var normalized = try inputNorm.forward(features, training: training, updateRunningStatistics: updateRunningStatistics, on: backend)
        var inputMasks: [Tensor] = []
        if let seed = dropoutSeed, inputDropout > 0 {
            for (index, block) in normalized.enumerated() {
                inputMasks.append(try Self.drop(block, p: inputDropout, seed: seed &+ 20 &+ UInt64(index), on: backend))
            }
        }
        let activation = try hidden.forward(normalized, on: backend)
        try backend.relu(activation, into: activation)
        normalized = try hiddenNorm.forward([activation], training: training, updateRunningStatistics: updateRunningStatistics, on: backend)
        var hiddenMask: Tensor?
        if let seed = dropoutSeed, hiddenDropout > 0 {
            hiddenMask = try Self.drop(normalized[0], p: hiddenDropout, seed: seed &+ 19, on: backend)
        }
        saved = (inputMasks, activation, hiddenMask)
        return normalized[0]
    }

    /// Accumulates the head's gradients from `dOutput` `[B, hidden]`; returns the gradients of the features.
    public func backward(_ dOutput: Tensor, on backend: Backend) throws -> [Tensor] {
        guard let saved else { preconditionFailure("head backward before forward") }
        if let mask = saved.hiddenMask { try backend.multiply(dOutput, mask, into: dOutput) }
        let dActivation = try hiddenNorm.backward([dOutput], on: backend)[0]
        try backend.reluBackward(dy: dActivation, y: saved.activation, into: dActivation)
        let dNormalized = try hidden.backward(dActivation, on: backend)
        for (dBlock, mask) in zip(dNormalized, saved.inputMasks) { try backend.multiply(dBlock, mask, into: dBlock) }
        return try inputNorm.backward(dNormalized, on: backend)
    }

    /// Drops `block` in place; returns the mask.
    private static func drop(_ block: Tensor, p: Float, seed: UInt64, on backend: Backend) throws -> Tensor {
        let mask = try backend.uninitialized(block.shape, dtype: .float32)
        try backend.dropoutMask(mask, p: p, seed: seed)
        try backend.multiply(block, mask, into: block)
        return mask
    }
}
