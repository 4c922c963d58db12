import RecurCore

/// `torch.nn.CrossEntropyLoss` with optional class weights and ignore index, reduced by PyTorch's
/// weighted mean: Σ_n w[y_n]·nll_n / Σ_n w[y_n]. The loss stays on the device until someone reads it.
public final class CrossEntropyLoss {
    public let classWeights: [Float]?
    public let ignoreIndex: Int32?
    private let classWeightsTensor: Tensor?
    private var saved: (probabilities: Tensor, targets: Tensor, scale: Float)?

    public init(classWeights: [Float]? = nil, ignoreIndex: Int32? = nil, on backend: Backend) throws {
        self.classWeights = classWeights
        self.ignoreIndex = ignoreIndex
        self.classWeightsTensor = try classWeights.map { try backend.upload($0, shape: [$0.count]) }
    }

    /// Σ_n w[y_n] over the targets that count: the mean's denominator, known on the host from the batch.
    public func normalizer(hostTargets: [Int32]) -> Float {
        var total: Float = 0
        for target in hostTargets where target != ignoreIndex {
            total += classWeights?[Int(target)] ?? 1
        }
        return total
    }

    /// The mean loss as a one-element device tensor. `targets` is the int32 `[N]` device copy of `hostTargets`.
    public func forward(logits: Tensor, targets: Tensor, hostTargets: [Int32], on backend: Backend) throws -> Tensor {
        let probabilities = try backend.uninitialized(logits.shape, dtype: .float32)
        let rowLosses = try backend.uninitialized([logits.rows], dtype: .float32)
        try backend.softmaxCrossEntropy(logits: logits, targets: targets, classWeights: classWeightsTensor,
                                        ignoreIndex: ignoreIndex, probabilities: probabilities, rowLosses: rowLosses)
        let total = normalizer(hostTargets: hostTargets)
        let scale: Float = total > 0 ? 1 / total : 0
        let loss = try backend.uninitialized([1], dtype: .float32)
        try backend.sum(rowLosses, into: loss, accumulate: false)
        try backend.scale(loss, by: scale)
        saved = (probabilities, targets, scale)
        return loss
    }

    /// The class probabilities of the last forward pass `[N, C]`.
    public var probabilities: Tensor? { saved?.probabilities }

    /// d(mean loss)/d(logits).
    public func backward(on backend: Backend) throws -> Tensor {
        guard let saved else { preconditionFailure("backward before forward") }
        let dLogits = try backend.uninitialized(saved.probabilities.shape, dtype: .float32)
        try backend.softmaxCrossEntropyBackward(probabilities: saved.probabilities, targets: saved.targets,
                                                classWeights: classWeightsTensor, ignoreIndex: ignoreIndex,
                                                scale: saved.scale, dLogits: dLogits)
        return dLogits
    }
}
