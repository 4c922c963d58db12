/// Elementwise functions with a backward pass (`Backend.activationForward`).
public enum Activation: String, Sendable, Codable {
    /// x · Φ(x) with the exact normal CDF (the erf form BERT uses, not the tanh approximation).
    case gelu
    case tanh
}

/// How a batched GEMM's batch index splits in two: index `i` is `(i / inner, i % inner)`, as (sequence, head)
/// in multi-head attention.
public struct BatchShape: Sendable, Equatable {
    public let outer: Int
    public let inner: Int
    public init(outer: Int, inner: Int = 1) {
        self.outer = outer
        self.inner = inner
    }
    public var count: Int { outer * inner }
}

/// The matrices of a batched GEMM: matrix `(o, i)` is `view` moved by `o * outerStride + i * innerStride`
/// elements. In a time-major `[T, B, H]` activation, head h of sequence b is the `T x d` matrix at column
/// `b * H + h * d` with leading dimension `B * H`: outer stride `H`, inner stride `d`.
public struct StridedMatrices {
    public let view: MatrixView
    public let outerStride: Int
    public let innerStride: Int

    public init(_ view: MatrixView, outerStride: Int, innerStride: Int = 0) {
        self.view = view
        self.outerStride = outerStride
        self.innerStride = innerStride
    }

    /// Element offset of matrix `index`'s (0, 0) inside the storage.
    public func offset(of index: Int, in batch: BatchShape) -> Int {
        view.offset + (index / batch.inner) * outerStride + (index % batch.inner) * innerStride
    }
}
