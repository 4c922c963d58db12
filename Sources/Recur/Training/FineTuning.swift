/// ULMFiT's fine-tuning controls (Howard & Ruder 2018) for a classifier started from a pretrained model.
/// The layer groups (`TextClassifierModel.fineTuningGroups`), top first: the head, each recurrent (or Transformer) layer from
/// the top down, the embedding.
public struct FineTuning: Codable, Sendable, Equatable {
    /// Discriminative learning rates: each group's rate is the one above it divided by this factor (2.6 in
    /// ULMFiT), so the pretrained lower layers move least. Nil: one rate for all.
    public var discriminativeFactor: Float?
    /// Gradual unfreezing: epoch 1 trains only the head, each further epoch unfreezes the next group down.
    public var gradualUnfreeze: Bool
    /// Keep the embedding as it is for the whole run.
    public var freezeEmbedding: Bool

    public init(discriminativeFactor: Float? = nil, gradualUnfreeze: Bool = false, freezeEmbedding: Bool = false) {
        self.discriminativeFactor = discriminativeFactor
        self.gradualUnfreeze = gradualUnfreeze
        self.freezeEmbedding = freezeEmbedding
    }

    /// Learning-rate multipliers by parameter name: factor^-depth below the head.
    public func learningRateScales(for model: any TextClassifierModel) -> [String: Float] {
        guard let factor = discriminativeFactor, factor > 0 else { return [:] }
        var scales: [String: Float] = [:]
        var scale: Float = 1
        for group in model.fineTuningGroups {
            for parameter in group { scales[parameter.name] = scale }
            scale /= factor
        }
        return scales
    }

    /// Sets which parameters train in `epoch` (1-based); returns how many groups (of all) are trainable.
    @discardableResult
    public func applyFreezing(to model: any TextClassifierModel, epoch: Int) -> (trainable: Int, groups: Int) {
        let groups = model.fineTuningGroups
        var trainableGroups = 0
        for (depth, group) in groups.enumerated() {
            let isEmbedding = depth == groups.count - 1
            let trainable = (!gradualUnfreeze || depth < epoch) && !(isEmbedding && freezeEmbedding)
            for parameter in group { parameter.isTrainable = trainable }
            if trainable { trainableGroups += 1 }
        }
        return (trainableGroups, groups.count)
    }

    public var isActive: Bool { discriminativeFactor != nil || gradualUnfreeze || freezeEmbedding }
}
