import RecurCore

/// `torch.nn.BatchNorm1d` over features given as column blocks `[B, w_i]` (as pooling hands them over):
/// training normalises with the batch's statistics and moves the running ones (momentum 0.1, unbiased
/// variance, as PyTorch); inference normalises with the running ones, so a prediction does not depend on the
/// rest of its batch. Names: `prefix` + weight, bias, running_mean, running_var.
public final class BatchNorm1d: ParameterContainer {
    public let weight: Parameter
    public let bias: Parameter
    public let runningMean: Parameter
    public let runningVariance: Parameter
    public let epsilon: Float = 1e-5
    public let momentum: Float = 0.1
    private var saved: (inputs: [Tensor], means: [Tensor], variances: [Tensor])?
    private var savedInference = false

    public var parameters: [Parameter] { [weight, bias, runningMean, runningVariance] }
    public var features: Int { weight.shape[0] }

    public init(prefix: String, features: Int, on backend: Backend) throws {
        weight = try Parameter(name: prefix + "weight", shape: [features], values: .init(repeating: 1, count: features), on: backend)
        bias = try Parameter(name: prefix + "bias", shape: [features], values: .init(repeating: 0, count: features), on: backend)
        runningMean = try Parameter(name: prefix + "running_mean", shape: [features], values: .init(repeating: 0, count: features),
                                    isBuffer: true, on: backend)
        runningVariance = try Parameter(name: prefix + "running_var", shape: [features], values: .init(repeating: 1, count: features),
                                        isBuffer: true, on: backend)
    }

    /// Normalised blocks (fresh tensors). `updateRunningStatistics: false` trains without moving them (a
    /// second pass over the same batch, as adversarial training makes).
    public func forward(_ blocks: [Tensor], training: Bool, updateRunningStatistics: Bool = true,
                        on backend: Backend) throws -> [Tensor] {
        var column = 0
        var outputs: [Tensor] = [], means: [Tensor] = [], variances: [Tensor] = []
        for block in blocks {
            let columns = column..<(column + block.columns)
            let (gamma, beta) = (weight.value.slice(columns), bias.value.slice(columns))
            let (runMean, runVariance) = (runningMean.value.slice(columns), runningVariance.value.slice(columns))
            let output = try backend.uninitialized(block.shape, dtype: .float32)
            if training {
                let mean = try backend.uninitialized([block.columns], dtype: .float32)
                let variance = try backend.uninitialized([block.columns], dtype: .float32)
                try backend.batchNormStatistics(block, mean: mean, variance: variance)
                try backend.batchNormApply(block, mean: mean, variance: variance, gamma: gamma, beta: beta,
                                           epsilon: epsilon, into: output)
                let rows = block.rows
                if updateRunningStatistics && rows > 1 {  // one row has no unbiased variance (PyTorch refuses it)
                    try backend.scale(runMean, by: 1 - momentum)
                    try backend.axpy(alpha: momentum, x: mean, y: runMean)
                    try backend.scale(runVariance, by: 1 - momentum)
                    try backend.axpy(alpha: momentum * Float(rows) / Float(rows - 1), x: variance, y: runVariance)
                }
                means.append(mean)
                variances.append(variance)
            } else {
                try backend.batchNormApply(block, mean: runMean, variance: runVariance, gamma: gamma, beta: beta,
                                           epsilon: epsilon, into: output)
            }
            outputs.append(output)
            column += block.columns
        }
        precondition(column == features, "batch norm input is \(column) wide, expected \(features)")
        saved = training ? (blocks, means, variances) : nil
        savedInference = !training
        return outputs
    }

    /// Accumulates weight and bias gradients of the last training forward; returns the input gradients.
    /// After an inference forward (attribution) the normalisation is a fixed affine map: only the input
    /// gradients, dy·γ/√(running variance + ε), are returned.
    public func backward(_ dBlocks: [Tensor], on backend: Backend) throws -> [Tensor] {
        if savedInference { return try inferenceBackward(dBlocks, on: backend) }
        guard let saved else { preconditionFailure("batch norm backward without a forward") }
        var column = 0
        return try zip(dBlocks, saved.inputs.indices).map { dBlock, index in
            let columns = column..<(column + dBlock.columns)
            column += dBlock.columns
            let dx = try backend.uninitialized(dBlock.shape, dtype: .float32)
            try backend.batchNormBackward(dy: dBlock, x: saved.inputs[index], mean: saved.means[index],
                                          variance: saved.variances[index], gamma: weight.value.slice(columns),
                                          epsilon: epsilon, dx: dx, dGamma: weight.gradient.slice(columns),
                                          dBeta: bias.gradient.slice(columns))
            return dx
        }
    }

    private func inferenceBackward(_ dBlocks: [Tensor], on backend: Backend) throws -> [Tensor] {
        var column = 0
        return try dBlocks.map { dBlock in
            let columns = column..<(column + dBlock.columns)
            column += dBlock.columns
            let zeros = try backend.zeros([dBlock.columns], dtype: .float32)
            let dx = try backend.uninitialized(dBlock.shape, dtype: .float32)
            try backend.batchNormApply(dBlock, mean: zeros, variance: runningVariance.value.slice(columns),
                                       gamma: weight.value.slice(columns), beta: zeros, epsilon: epsilon, into: dx)
            return dx
        }
    }
}
