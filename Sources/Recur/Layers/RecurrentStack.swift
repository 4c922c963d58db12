import RecurCore

/// A stacked, optionally bidirectional recurrent network: the equivalent of `torch.nn.LSTM` / `GRU` / `RNN`
/// with `batch_first=False` over packed sequences, parameter names included (`weight_ih_l0_reverse`, ...).
public final class RecurrentStack: ParameterContainer {
    public let cell: RecurrentCellKind
    public let inputSize: Int
    public let hiddenSize: Int
    public let layerCount: Int
    public let directionCount: Int
    /// `layers[l][d]`: direction d (0 forward, 1 reverse) of layer l.
    public let layers: [[RecurrentDirection]]
    /// Dropout on the outputs of every layer but the last, in training (as PyTorch's `dropout=`).
    public var interLayerDropout: Float = 0

    private var dropoutMasks: [[Tensor]] = []

    public var parameters: [Parameter] { layers.flatMap { $0.flatMap(\.parameters) } }

    /// Creates the stack with PyTorch's default initialisation U(-1/√H, 1/√H).
    /// `prefix` is prepended to parameter names (`"rnn."`).
    public init(cell: RecurrentCellKind, inputSize: Int, hiddenSize: Int, layers layerCount: Int, bidirectional: Bool,
                prefix: String, initializer: inout WeightInitializer, on backend: Backend) throws {
        self.cell = cell
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.layerCount = layerCount
        self.directionCount = bidirectional ? 2 : 1
        let bound = 1 / Float(hiddenSize).squareRoot()
        let G = cell.gateCount * hiddenSize
        var layers: [[RecurrentDirection]] = []
        for layer in 0..<layerCount {
            let layerInput = layer == 0 ? inputSize : hiddenSize * directionCount
            var directions: [RecurrentDirection] = []
            for direction in 0..<directionCount {
                let suffix = "_l\(layer)" + (direction == 1 ? "_reverse" : "")
                func parameter(_ kind: String, _ shape: [Int]) throws -> Parameter {
                    try Parameter(name: prefix + kind + suffix, shape: shape,
                                  values: initializer.uniform(count: shape.reduce(1, *), bound: bound), on: backend)
                }
                directions.append(RecurrentDirection(
                    cell: cell, inputSize: layerInput, hiddenSize: hiddenSize, isReverse: direction == 1,
                    weightIH: try parameter("weight_ih", [G, layerInput]),
                    weightHH: try parameter("weight_hh", [G, hiddenSize]),
                    biasIH: try parameter("bias_ih", [G]),
                    biasHH: try parameter("bias_hh", [G])))
            }
            layers.append(directions)
        }
        self.layers = layers
    }

    /// The outputs of a forward pass.
    public struct Result {
        /// The top layer's output per direction, each `[T, B, H]`, 0 past each sequence's end.
        public let outputs: [Tensor]
        /// Final states per (layer, direction), in PyTorch's `h_n` order (`layer * D + direction`), each `[B, H]`.
        public let finalHidden: [Tensor]
        public let finalCell: [Tensor]?
    }

    /// Runs the stack over `input` `[T, B, inputSize]`. `initialHidden`/`initialCell`: `[L·D, B, H]` or nil
    /// for zeros. `dropoutSeed` non-nil turns on inter-layer dropout (training).
    public func forward(_ input: Tensor, lengths: Tensor?, initialHidden: Tensor? = nil, initialCell: Tensor? = nil,
                        dropoutSeed: UInt64? = nil, on backend: Backend) throws -> Result {
        try run(blocks: [input], gathered: nil, lengths: lengths, initialHidden: initialHidden, initialCell: initialCell,
                dropoutSeed: dropoutSeed, on: backend)
    }

    /// An inference pass over time-major `tokens` `[T, B]` whose layer 0 reads its input projections from
    /// `inputTable` (one gathered row per token) instead of embedding and projecting them, with the table's
    /// prepared W_hh. `activeRows` (see `RecurrentDirection.forward`) lets each step skip the sequences that
    /// have ended.
    public func forward(tokens: Tensor, inputTable: InputProjectionTable, lengths: Tensor?, activeRows: [Int]? = nil,
                        on backend: Backend) throws -> Result {
        precondition(inputTable.directions.count == directionCount, "one table per direction")
        return try run(blocks: [], gathered: (0..<directionCount).map { inputTable.input(tokens, direction: $0) },
                       lengths: lengths, initialHidden: nil, initialCell: nil, dropoutSeed: nil, activeRows: activeRows,
                       recurrentWeights: inputTable.recurrentWeights, on: backend)
    }

    private func run(blocks input: SequenceBlocks, gathered: [GatheredInput]?, lengths: Tensor?, initialHidden: Tensor?,
                     initialCell: Tensor?, dropoutSeed: UInt64?, activeRows: [Int]? = nil,
                     recurrentWeights: [PreparedGEMMOperand]? = nil, on backend: Backend) throws -> Result {
        var blocks = input
        var finalHidden: [Tensor] = [], finalCell: [Tensor] = []
        dropoutMasks = []
        for (l, layer) in layers.enumerated() {
            var outputs: [Tensor] = []
            for (d, direction) in layer.enumerated() {
                let index = l * directionCount + d
                let result = try direction.forward(
                    blocks, lengths: lengths,
                    initialHidden: initialHidden?.slice(index), initialCell: initialCell?.slice(index),
                    gatheredInput: l == 0 ? gathered?[d] : nil, activeRows: activeRows,
                    preparedRecurrentWeight: l == 0 ? recurrentWeights?[d] : nil, on: backend)
                outputs.append(result.output)
                finalHidden.append(result.finalHidden)
                if let c = result.finalCell { finalCell.append(c) }
            }
            if let seed = dropoutSeed, interLayerDropout > 0, l < layers.count - 1 {
                var masks: [Tensor] = []
                for (d, output) in outputs.enumerated() {
                    let mask = try backend.uninitialized(output.shape, dtype: .float32)
                    try backend.dropoutMask(mask, p: interLayerDropout, seed: seed &+ UInt64(l * 2 + d) &* 0x9E37_79B9)
                    try backend.multiply(output, mask, into: output)
                    masks.append(mask)
                }
                dropoutMasks.append(masks)
            }
            blocks = outputs
        }
        return Result(outputs: blocks, finalHidden: finalHidden, finalCell: cell == .lstm ? finalCell : nil)
    }

    /// Gradients w.r.t. the initial states, per (layer, direction).
    public struct Gradients {
        /// Per (layer, direction); nil for layers below the backward pass's `lowestLayer`.
        public let initialHidden: [Tensor?]
        public let initialCell: [Tensor?]?
    }

    /// Backpropagates the last forward pass. `dOutputs` per top-layer direction (nil = no gradient there),
    /// `dFinalHidden`/`dFinalCell` per (layer, direction) (nil = none). Adds the input gradient into `dInput`
    /// when given; accumulates every parameter gradient of layers `lowestLayer` and up. Layers below
    /// `lowestLayer` (frozen while fine-tuning) are skipped: no gradient needs to reach them.
    @discardableResult
    public func backward(dOutputs: [Tensor?], dFinalHidden: [Tensor?]? = nil, dFinalCell: [Tensor?]? = nil,
                         dInput: Tensor?, lowestLayer: Int = 0, on backend: Backend) throws -> Gradients {
        var dAbove: [Tensor?] = dOutputs
        var dInitialHidden = [Tensor?](repeating: nil, count: layerCount * directionCount)
        var dInitialCell = [Tensor?](repeating: nil, count: layerCount * directionCount)
        for l in stride(from: layerCount - 1, through: lowestLayer, by: -1) {
            let layer = layers[l]
            // The gradient reaching this layer's input: the layer below's outputs, or the stack's input.
            var dBelow: SequenceBlocks?
            if l > lowestLayer {
                guard let (steps, batch) = layer[0].savedSequenceShape else { preconditionFailure("backward before forward") }
                dBelow = try layers[l - 1].map { _ in try backend.zeros([steps, batch, hiddenSize], dtype: .float32) }
            } else if l == 0 {
                dBelow = dInput.map { [$0] }
            }
            for (d, direction) in layer.enumerated() {
                let index = l * directionCount + d
                let gradients = try direction.backward(
                    dOutput: dAbove[d], dFinalHidden: dFinalHidden?[index] ?? nil,
                    dFinalCell: dFinalCell?[index] ?? nil, dInput: dBelow, on: backend)
                dInitialHidden[index] = gradients.initialHidden
                dInitialCell[index] = gradients.initialCell
            }
            if l > lowestLayer {
                // Inter-layer dropout of the layer below: its mask gates the gradient too.
                if l - 1 < dropoutMasks.count {
                    for (d, mask) in dropoutMasks[l - 1].enumerated() {
                        try backend.multiply(dBelow![d], mask, into: dBelow![d])
                    }
                }
                dAbove = dBelow!.map { $0 }
            }
        }
        return Gradients(initialHidden: dInitialHidden.map { $0 },
                         initialCell: cell == .lstm ? dInitialCell.map { $0 } : nil)
    }

    public func releaseSaved() {
        layers.forEach { $0.forEach { $0.releaseSaved() } }
        dropoutMasks = []
    }
}
