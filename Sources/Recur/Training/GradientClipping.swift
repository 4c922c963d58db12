import RecurCore

/// The squared global norm of the parameters' gradients, summed into a one-element tensor on the device.
public func gradientNormSquared(_ parameters: [Parameter], on backend: Backend) throws -> Tensor {
    let normSquared = try backend.zeros([1], dtype: .float32)
    for (index, parameter) in parameters.enumerated() {
        try backend.sumOfSquares(parameter.gradient, into: normSquared, accumulate: index > 0)
    }
    return normSquared
}

/// `torch.nn.utils.clip_grad_norm_` over all parameters together, without leaving the device: each
/// gradient is scaled by a coefficient the kernel computes from `normSquared` (`gradientNormSquared`).
public func clipGradients(_ parameters: [Parameter], normSquared: Tensor, maxNorm: Float, on backend: Backend) throws {
    for parameter in parameters {
        try backend.clipScale(parameter.gradient, normSquared: normSquared, maxNorm: maxNorm)
    }
}

/// Both: returns the squared norm (download and take the root to log it).
@discardableResult
public func clipGradientNorm(_ parameters: [Parameter], maxNorm: Float, on backend: Backend) throws -> Tensor {
    let normSquared = try gradientNormSquared(parameters, on: backend)
    try clipGradients(parameters, normSquared: normSquared, maxNorm: maxNorm, on: backend)
    return normSquared
}
