import RecurCore

/// DropConnect on recurrent weights (Wan et al. 2013; Merity et al. 2017's weight drop): for one batch,
/// W_hh is multiplied in place by a dropout mask, so every time step sees the same dropped connections.
/// The raw weights are kept aside and put back after backward, when the gradient (taken w.r.t. the masked
/// weights) is multiplied by the mask: d/dW_raw = d/dW_masked ⊙ mask.
final class WeightDrop {
    private struct Dropped {
        let parameter: Parameter
        let raw: Tensor
        let mask: Tensor
    }
    private var dropped: [Dropped] = []

    var isApplied: Bool { !dropped.isEmpty }

    func apply(to parameters: [Parameter], p: Float, seed: UInt64, on backend: Backend) throws {
        precondition(dropped.isEmpty, "weight drop applied twice")
        for (index, parameter) in parameters.enumerated() {
            let raw = try backend.uninitialized(parameter.shape, dtype: .float32)
            try backend.copy(parameter.value, to: raw)
            let mask = try backend.uninitialized(parameter.shape, dtype: .float32)
            try backend.dropoutMask(mask, p: p, seed: seed &+ UInt64(index) &* 0x2545_F491_4F6C_DD1D)
            try backend.multiply(parameter.value, mask, into: parameter.value)
            dropped.append(Dropped(parameter: parameter, raw: raw, mask: mask))
        }
    }

    /// Masks the accumulated gradients (when `gradients`) and restores the raw weights.
    func restore(maskGradients gradients: Bool, on backend: Backend) throws {
        for entry in dropped {
            if gradients { try backend.multiply(entry.parameter.gradient, entry.mask, into: entry.parameter.gradient) }
            try backend.copy(entry.raw, to: entry.parameter.value)
        }
        dropped = []
    }
}
