import Foundation

// Hyperparameters of the fused optimizer updates, with PyTorch's semantics and defaults.
// The per-step scalars (bias corrections, decayed rates) are computed here once on the host, in Double,
// so every backend applies the very same numbers.

/// `torch.optim.SGD`: g += wd·p; buf = g (first step) or momentum·buf + (1 − dampening)·g;
/// g = nesterov ? g + momentum·buf : buf; p −= lr·g.
public struct SGDHyper: Sendable, Equatable {
    public var learningRate: Float
    public var momentum: Float = 0
    public var dampening: Float = 0
    public var nesterov = false
    public var weightDecay: Float = 0
    public init(learningRate: Float, momentum: Float = 0, dampening: Float = 0, nesterov: Bool = false, weightDecay: Float = 0) {
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self.weightDecay = weightDecay
    }
}

/// `torch.optim.Adam` (`decoupledWeightDecay == false`, decay added to the gradient) and
/// `torch.optim.AdamW` (`true`, p ← p·(1 − lr·wd) before the update).
public struct AdamHyper: Sendable, Equatable {
    public var learningRate: Float
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var epsilon: Float = 1e-8
    public var weightDecay: Float = 0
    public var decoupledWeightDecay = false
    public init(learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0, decoupledWeightDecay: Bool = false) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupledWeightDecay = decoupledWeightDecay
    }

    /// The scalars of step `step` (from 1): p −= stepSize · m / (sqrt(v) / biasCorrection2Sqrt + eps).
    public func coefficients(step: Int) -> (stepSize: Float, biasCorrection2Sqrt: Float) {
        let bc1 = 1 - pow(Double(beta1), Double(step))
        let bc2 = 1 - pow(Double(beta2), Double(step))
        return (Float(Double(learningRate) / bc1), Float(bc2.squareRoot()))
    }
}

/// `torch.optim.RMSprop` (not centered): g += wd·p; sq = α·sq + (1 − α)·g²; avg = sqrt(sq) + eps;
/// with momentum buf = momentum·buf + g/avg and p −= lr·buf, else p −= lr·g/avg.
public struct RMSpropHyper: Sendable, Equatable {
    public var learningRate: Float
    public var alpha: Float = 0.99
    public var epsilon: Float = 1e-8
    public var weightDecay: Float = 0
    public var momentum: Float = 0
    public init(learningRate: Float, alpha: Float = 0.99, epsilon: Float = 1e-8, weightDecay: Float = 0, momentum: Float = 0) {
        self.learningRate = learningRate
        self.alpha = alpha
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.momentum = momentum
    }
}

/// `torch.optim.Adagrad`: g += wd·p; clr = lr / (1 + (step − 1)·lrDecay); sum += g²; p −= clr·g / (sqrt(sum) + eps).
public struct AdagradHyper: Sendable, Equatable {
    public var learningRate: Float
    public var learningRateDecay: Float = 0
    public var epsilon: Float = 1e-10
    public var weightDecay: Float = 0
    public init(learningRate: Float, learningRateDecay: Float = 0, epsilon: Float = 1e-10, weightDecay: Float = 0) {
        self.learningRate = learningRate
        self.learningRateDecay = learningRateDecay
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    /// The decayed learning rate of step `step` (from 1).
    public func clr(step: Int) -> Float {
        Float(Double(learningRate) / (1 + Double(step - 1) * Double(learningRateDecay)))
    }
}
