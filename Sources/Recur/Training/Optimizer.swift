import RecurCore

/// Which update rule, with its hyperparameters (the learning rate here is the base rate; schedules scale it).
public enum OptimizerKind: Sendable, Equatable {
    case sgd(SGDHyper)
    case adam(AdamHyper)
    case rmsprop(RMSpropHyper)
    case adagrad(AdagradHyper)
}

/// Applies fused per-parameter updates on the backend and owns the optimizer state (moments, momentum
/// buffers), kept on the device next to the weights and keyed by parameter name.
public final class Optimizer {
    public var kind: OptimizerKind
    /// Updates taken so far; the next `step` is number `stepCount + 1`.
    public private(set) var stepCount = 0
    /// State tensors by parameter name: "m"/"v" (Adam), "momentum" (SGD, RMSprop), "square" (RMSprop), "sum" (Adagrad).
    public private(set) var state: [String: [String: Tensor]] = [:]

    public init(_ kind: OptimizerKind) { self.kind = kind }

    /// One update of every trainable parameter from its accumulated gradient. `learningRateScale` multiplies
    /// the base learning rate (schedules; per-group rates for fine-tuning go through `learningRateScales`).
    public func step(_ parameters: [Parameter], learningRateScale: Float = 1,
                     learningRateScales: [String: Float] = [:], on backend: Backend) throws {
        stepCount += 1
        for parameter in parameters where parameter.isTrainable {
            let scale = learningRateScale * (learningRateScales[parameter.name] ?? 1)
            try update(parameter, scale: scale, on: backend)
        }
    }

    /// Puts back state saved from `state` and `stepCount` (resuming from a checkpoint).
    public func restore(state: [String: [String: Tensor]], stepCount: Int) {
        self.state = state
        self.stepCount = stepCount
    }

    private func update(_ p: Parameter, scale: Float, on backend: Backend) throws {
        func buffer(_ key: String) throws -> Tensor {
            if let existing = state[p.name]?[key] { return existing }
            let fresh = try backend.zeros(p.shape, dtype: .float32)
            state[p.name, default: [:]][key] = fresh
            return fresh
        }
        switch kind {
        case var .sgd(hyper):
            hyper.learningRate *= scale
            if !p.appliesWeightDecay { hyper.weightDecay = 0 }
            try backend.sgdUpdate(parameter: p.value, gradient: p.gradient,
                                  momentumBuffer: hyper.momentum != 0 ? try buffer("momentum") : nil,
                                  step: stepCount, hyper: hyper)
        case var .adam(hyper):
            hyper.learningRate *= scale
            if !p.appliesWeightDecay { hyper.weightDecay = 0 }
            try backend.adamUpdate(parameter: p.value, gradient: p.gradient, m: try buffer("m"), v: try buffer("v"),
                                   step: stepCount, hyper: hyper)
        case var .rmsprop(hyper):
            hyper.learningRate *= scale
            if !p.appliesWeightDecay { hyper.weightDecay = 0 }
            try backend.rmspropUpdate(parameter: p.value, gradient: p.gradient, squareAverage: try buffer("square"),
                                      momentumBuffer: hyper.momentum != 0 ? try buffer("momentum") : nil,
                                      step: stepCount, hyper: hyper)
        case var .adagrad(hyper):
            hyper.learningRate *= scale
            if !p.appliesWeightDecay { hyper.weightDecay = 0 }
            try backend.adagradUpdate(parameter: p.value, gradient: p.gradient, sum: try buffer("sum"),
                                      step: stepCount, hyper: hyper)
        }
    }
}
