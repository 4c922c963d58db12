import RecurCore

/// `torch.nn.Linear` over an input given as column blocks: y = Σ_i x_i·W[:, block i]ᵀ + b.
/// Reading the blocks in place is how pooled features (last, mean, max per direction) reach the classifier
/// without ever being concatenated.
public final class Linear: ParameterContainer {
    public let weight: Parameter
    public let bias: Parameter
    private var savedInput: [Tensor] = []
    /// Set by `quantizeForInference`: forward multiplies in int8 (inference only).
    public private(set) var int8Weight: Int8Weight?

    public var parameters: [Parameter] { [weight, bias] }
    public var inputSize: Int { weight.shape[1] }
    public var outputSize: Int { weight.shape[0] }

    /// PyTorch's default initialisation: U(-1/√in, 1/√in) for weight and bias.
    public init(prefix: String, inputSize: Int, outputSize: Int, initializer: inout WeightInitializer, on backend: Backend) throws {
        let bound = 1 / Float(inputSize).squareRoot()
        weight = try Parameter(name: prefix + "weight", shape: [outputSize, inputSize],
                               values: initializer.uniform(count: outputSize * inputSize, bound: bound), on: backend)
        bias = try Parameter(name: prefix + "bias", shape: [outputSize],
                             values: initializer.uniform(count: outputSize, bound: bound), on: backend)
    }

    /// `blocks`: `[B, w_i]` tensors whose widths sum to `inputSize`. Returns `[B, outputSize]`.
    public func forward(_ blocks: [Tensor], on backend: Backend) throws -> Tensor {
        let batch = blocks[0].rows
        let output = try backend.uninitialized([batch, outputSize], dtype: .float32)
        try projectBlocks(blocks, weight: weight, int8: int8Weight, into: output, on: backend)
        try backend.addRowVector(bias.value, to: output)
        savedInput = blocks
        return output
    }

    /// Int8 weights from now on (PyTorch's dynamic quantization of `nn.Linear`), or fp32 again (`false`).
    public func quantizeForInference(_ enabled: Bool = true) {
        int8Weight = enabled ? Int8Weight(weight) : nil
    }

    /// Accumulates weight and bias gradients; returns the gradient w.r.t. each input block (fresh tensors).
    public func backward(_ dOutput: Tensor, on backend: Backend) throws -> [Tensor] {
        let batch = dOutput.rows
        try backend.sumRows(dOutput, into: bias.gradient, accumulate: true)
        var column = 0
        var dBlocks: [Tensor] = []
        for block in savedInput {
            let width = block.columns
            try backend.gemm(.transposed, .none, m: outputSize, n: width, k: batch, alpha: 1,
                             a: dOutput.matrix, b: block.matrix, beta: 1,
                             c: MatrixView(weight.gradient, columnOffset: column, ld: inputSize))
            let dBlock = try backend.uninitialized(block.shape, dtype: .float32)
            try backend.gemm(.none, .none, m: batch, n: width, k: outputSize, alpha: 1,
                             a: dOutput.matrix, b: MatrixView(weight.value, columnOffset: column, ld: inputSize),
                             beta: 0, c: dBlock.matrix)
            dBlocks.append(dBlock)
            column += width
        }
        return dBlocks
    }
}
