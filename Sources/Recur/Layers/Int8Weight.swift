import RecurCore

/// A layer's weight `[out, in]` quantized to int8 for inference (`SentimentClassifier.quantizeForInference`):
/// one prepared operand per column block of the input the layer reads (a layer above a bidirectional one
/// reads two), made on first use. It holds the weight as it was then: for fixed weights only, never training.
public final class Int8Weight {
    public let weight: Parameter
    private var blocks: [Int: PreparedGEMMOperand] = [:]

    public init(_ weight: Parameter) { self.weight = weight }

    /// op(B) = W[:, column..<column + width]ᵀ in int8, for `gemm(.none, m:, a: input block, b: ...)`.
    public func operand(column: Int, width: Int, on backend: Backend) throws -> PreparedGEMMOperand {
        if let prepared = blocks[column], prepared.k == width { return prepared }
        let prepared = try backend.prepareInt8GEMMOperand(
            MatrixView(weight.value, columnOffset: column, ld: weight.shape[1]), .transposed, k: width, n: weight.shape[0])
        blocks[column] = prepared
        return prepared
    }
}
