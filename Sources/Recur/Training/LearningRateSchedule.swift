import Foundation

/// How the learning rate changes over training, as a factor of the base rate at each optimizer step.
/// Step-based like Hugging Face's schedulers; `warmupSteps` applies to every kind (linear ramp from 0).
public struct LearningRateSchedule: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// The base rate throughout.
        case constant
        /// Linear decay to 0 at the last step (after warmup).
        case linear
        /// Half a cosine from the base rate to 0 (after warmup).
        case cosine
        /// Multiply by `gamma` every epoch.
        case exponential
        /// Multiply by `gamma` every `stepEpochs` epochs.
        case step
        /// ULMFiT's slanted triangular rates: a short linear rise (fraction `cut` of all steps), then a long
        /// linear fall; the lowest rate is 1/`ratio` of the peak.
        case slantedTriangular = "slanted-triangular"
    }

    public var kind: Kind
    public var warmupSteps: Int
    public var gamma: Double
    public var stepEpochs: Int
    public var cut: Double
    public var ratio: Double

    public init(kind: Kind = .constant, warmupSteps: Int = 0, gamma: Double = 0.5, stepEpochs: Int = 1,
                cut: Double = 0.1, ratio: Double = 32) {
        self.kind = kind
        self.warmupSteps = warmupSteps
        self.gamma = gamma
        self.stepEpochs = stepEpochs
        self.cut = cut
        self.ratio = ratio
    }

    /// The factor for optimizer step `step` (0-based) of `totalSteps`, with `stepsPerEpoch` steps an epoch.
    public func factor(step: Int, totalSteps: Int, stepsPerEpoch: Int) -> Float {
        if kind != .slantedTriangular, step < warmupSteps {
            return Float(step + 1) / Float(warmupSteps)
        }
        let after = Double(step - warmupSteps)
        let span = Double(max(1, totalSteps - warmupSteps))
        let epoch = Double(step / max(1, stepsPerEpoch))
        switch kind {
        case .constant:
            return 1
        case .linear:
            return Float(max(0, 1 - after / span))
        case .cosine:
            return Float(0.5 * (1 + cos(Double.pi * min(1, after / span))))
        case .exponential:
            return Float(pow(gamma, epoch))
        case .step:
            return Float(pow(gamma, (epoch / Double(max(1, stepEpochs))).rounded(.down)))
        case .slantedTriangular:
            let total = Double(max(1, totalSteps))
            let peak = (total * cut).rounded(.down)
            let t = Double(step)
            // The fall spans the steps after the peak. (ULMFiT writes it as cut·(1/cut_frac − 1), which equals
            // total − cut only when total·cut_frac is a whole number; otherwise the rate went negative.)
            let p = t < peak ? t / max(1, peak) : max(0, 1 - (t - peak) / max(1, total - peak))
            return Float((1 + p * (ratio - 1)) / ratio)
        }
    }
}
