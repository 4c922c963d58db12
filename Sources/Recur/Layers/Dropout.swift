import RecurCore

/// Inverted dropout in place, keeping its mask for the backward pass. A nil seed (inference) or p = 0 is the
/// identity and keeps no mask.
public final class Dropout {
    public let p: Float
    private var mask: Tensor?

    public init(p: Float) { self.p = p }

    /// Drops elements of `x` in place with probability `p` (training, when `seed` is given); returns `x`.
    @discardableResult
    public func forward(_ x: Tensor, seed: UInt64?, on backend: Backend) throws -> Tensor {
        guard let seed, p > 0 else {
            mask = nil
            return x
        }
        let fresh = try backend.uninitialized(x.shape, dtype: .float32)
        try backend.dropoutMask(fresh, p: p, seed: seed)
        try backend.multiply(x, fresh, into: x)
        mask = fresh
        return x
    }

    /// Masks the gradient `dy` in place as the forward pass masked its input; returns `dy`.
    @discardableResult
    public func backward(_ dy: Tensor, on backend: Backend) throws -> Tensor {
        if let mask { try backend.multiply(dy, mask.reshaped(dy.shape), into: dy) }
        return dy
    }
}
