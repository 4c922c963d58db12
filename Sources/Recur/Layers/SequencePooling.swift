import RecurCore

/// How a classifier turns the recurrent outputs of a sequence into one feature vector.
public enum Pooling: String, Codable, Sendable, CaseIterable {
    /// The state at each sequence's true last token (for the reverse direction: after its first token).
    case last
    case mean
    case max
    /// last, mean and max side by side (features ×3).
    case concat

    /// The pooled pieces in feature order.
    public var pieces: [Pooling] { self == .concat ? [.last, .mean, .max] : [self] }
}

/// Pools the top layer's per-direction outputs into feature blocks `[B, H]`, in the order
/// (piece, direction): for `concat` on a BiLSTM, last-fwd, last-rev, mean-fwd, mean-rev, max-fwd, max-rev.
public final class SequencePooling {
    public let pooling: Pooling
    private var saved: (lengths: Tensor?, argmax: [Tensor?], steps: Int, batch: Int, hidden: Int)?

    public init(_ pooling: Pooling) { self.pooling = pooling }

    /// `outputs`: per direction `[T, B, H]`; `finalHidden`: the top layer's final state per direction.
    public func forward(outputs: [Tensor], finalHidden: [Tensor], lengths: Tensor?, on backend: Backend) throws -> [Tensor] {
        var features: [Tensor] = []
        var argmaxes: [Tensor?] = []
        for piece in pooling.pieces {
            for (d, output) in outputs.enumerated() {
                switch piece {
                case .last:
                    features.append(finalHidden[d])
                    argmaxes.append(nil)
                case .mean, .max:
                    let pooled = try backend.zeros([output.shape[1], output.shape[2]], dtype: .float32)
                    let argmax = piece == .max ? try backend.zeros(pooled.shape, dtype: .int32) : nil
                    try backend.poolForward(piece == .max ? .max : .mean, input: output, lengths: lengths,
                                            output: pooled, argmax: argmax)
                    features.append(pooled)
                    argmaxes.append(argmax)
                case .concat:
                    preconditionFailure("concat is expanded into pieces")
                }
            }
        }
        saved = (lengths, argmaxes, outputs[0].shape[0], outputs[0].shape[1], outputs[0].shape[2])
        return features
    }

    /// Routes feature gradients back: `last` pieces to the final hidden state, the others into fresh
    /// `[T, B, H]` output gradients per direction. Returns (dOutputs per direction or nil, dFinalHidden per direction or nil).
    public func backward(_ dFeatures: [Tensor], directions: Int, on backend: Backend) throws -> (dOutputs: [Tensor?], dFinalHidden: [Tensor?]) {
        guard let saved else { preconditionFailure("backward before forward") }
        var dOutputs = [Tensor?](repeating: nil, count: directions)
        var dFinal = [Tensor?](repeating: nil, count: directions)
        var index = 0
        for piece in pooling.pieces {
            for d in 0..<directions {
                let dFeature = dFeatures[index]
                switch piece {
                case .last:
                    dFinal[d] = dFeature
                case .mean, .max:
                    if dOutputs[d] == nil {
                        dOutputs[d] = try backend.zeros([saved.steps, saved.batch, saved.hidden], dtype: .float32)
                    }
                    try backend.poolBackward(piece == .max ? .max : .mean, dOutput: dFeature, lengths: saved.lengths,
                                             argmax: saved.argmax[index], dInput: dOutputs[d]!)
                case .concat:
                    preconditionFailure("concat is expanded into pieces")
                }
                index += 1
            }
        }
        return (dOutputs, dFinal)
    }
}
