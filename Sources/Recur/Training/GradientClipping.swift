import RecurCore

/// `torch.nn.utils.clip_grad_norm_` over all parameters together, without leaving the device:
/// the squared norm is summed into a one-element tensor and each gradient is scaled by a coefficient the
/// kernel computes from it. Returns that tensor (download and take the root to log the norm).
@discardableResult
public func clipGradientNorm(_ parameters: [Parameter], maxNorm: Float, on backend: Backend) throws -> Tensor {
    let normSquared = try backend.zeros([1], dtype: .float32)
    for (index, parameter) in parameters.enumerated() {
        try backend.sumOfSquares(parameter.gradient, into: normSquared, accumulate: index > 0)
    }
    for parameter in parameters {
        try backend.clipScale(parameter.gradient, normSquared: normSquared, maxNorm: maxNorm)
    }
    return normSquared
}
