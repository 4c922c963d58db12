import RecurCore

/// `torch.nn.LayerNorm` over the last dimension, with explicit forward and backward.
public final class LayerNorm: ParameterContainer {
    public let weight: Parameter
    public let bias: Parameter
    public let epsilon: Float
    private var saved: (x: Tensor, mean: Tensor, rstd: Tensor)?

    public var parameters: [Parameter] { [weight, bias] }

    /// Weight 1 and bias 0, as PyTorch initialises them.
    public init(prefix: String, features: Int, epsilon: Float, on backend: Backend) throws {
        weight = try Parameter(name: prefix + "weight", shape: [features], values: [Float](repeating: 1, count: features), on: backend)
        bias = try Parameter(name: prefix + "bias", shape: [features], values: [Float](repeating: 0, count: features), on: backend)
        self.epsilon = epsilon
    }

    /// `x` `[N, features]` → a new `[N, features]` tensor.
    public func forward(_ x: Tensor, on backend: Backend) throws -> Tensor {
        let y = try backend.uninitialized(x.shape, dtype: .float32)
        let mean = try backend.uninitialized([x.rows], dtype: .float32)
        let rstd = try backend.uninitialized([x.rows], dtype: .float32)
        try backend.layerNormForward(x, gamma: weight.value, beta: bias.value, epsilon: epsilon, into: y, mean: mean, rstd: rstd)
        saved = (x, mean, rstd)
        return y
    }

    /// Accumulates the weight and bias gradients; returns the gradient w.r.t. the input, written over `dy`.
    public func backward(_ dy: Tensor, on backend: Backend) throws -> Tensor {
        guard let saved else { preconditionFailure("backward before forward") }
        try backend.layerNormBackward(dy: dy, x: saved.x, mean: saved.mean, rstd: saved.rstd, gamma: weight.value,
                                      dx: dy, dGamma: weight.gradient, dBeta: bias.gradient)
        return dy
    }
}
