import RecurCore

/// A layer's input as column blocks: layer 0 reads one `[T, B, I]` tensor; a layer above a bidirectional one
/// reads the two direction outputs `[T, B, H]` side by side, without concatenating them. Each block meets
/// its own column block of `weight_ih`.
public typealias SequenceBlocks = [Tensor]

/// One direction of one recurrent layer over a whole batch of sequences, forward and backward.
///
/// Forward is one GEMM for the input projection of all steps, then per step the W_hh product and the cell
/// (`Backend.lstmStep` and its twins, which the CPU backend fuses). Backward mirrors it: per step the fused
/// cell backward and one GEMM for the gradient reaching the previous state, then single large GEMMs over all
/// steps for dW_ih, dW_hh and the input gradient.
///
/// States live in `[T + 1, B, H]` buffers indexed by time: a forward direction reads its state at `t` and
/// writes `t + 1`; a reverse direction reads `t + 1` and writes `t`. So the states entering the steps are
/// one contiguous block either way, and dW_hh needs a single GEMM.
public final class RecurrentDirection {
    public let cell: RecurrentCellKind
    public let inputSize: Int
    public let hiddenSize: Int
    public let isReverse: Bool
    public let weightIH: Parameter
    public let weightHH: Parameter
    public let biasIH: Parameter
    public let biasHH: Parameter

    /// What forward keeps for backward.
    private struct Saved {
        let input: SequenceBlocks
        let lengths: Tensor?
        let steps: Int
        let batch: Int
        /// LSTM: gate activations; GRU: input-gate activations (r, z, n); RNN: tanh outputs. `[T, B, G·H]`
        let gates: Tensor
        /// GRU only: h·W_hhᵀ + b_hh per step. `[T, B, 3H]`
        let hiddenGates: Tensor?
        let hiddenStates: Tensor
        let cellStates: Tensor?
    }
    private var saved: Saved?
    /// Set by `quantizeForInference`: W_ih and W_hh in int8 (inference only).
    private var int8: (input: Int8Weight, recurrent: PreparedGEMMOperand)?

    public init(cell: RecurrentCellKind, inputSize: Int, hiddenSize: Int, isReverse: Bool,
                weightIH: Parameter, weightHH: Parameter, biasIH: Parameter, biasHH: Parameter) {
        self.cell = cell
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.isReverse = isReverse
        self.weightIH = weightIH
        self.weightHH = weightHH
        self.biasIH = biasIH
        self.biasHH = biasHH
    }

    public var parameters: [Parameter] { [weightIH, weightHH, biasIH, biasHH] }
    private var gateWidth: Int { cell.gateCount * hiddenSize }

    /// The outputs of a forward pass: `output` `[T, B, H]` (0 past each sequence's end) and the final state.
    public struct Result {
        public let output: Tensor
        public let finalHidden: Tensor
        public let finalCell: Tensor?
    }

    /// `Σ block·W_ihᵀ` plus the input-side biases for blocks `[rows, *]` whose widths sum to `inputSize`:
    /// `[rows, G]`. The LSTM and RNN add both biases here (summed first, so the large result is swept once);
    /// the GRU adds b_ih only, as b_hh belongs with h·W_hhᵀ, which its reset gate scales.
    public func projectInputs(_ blocks: [Tensor], on backend: Backend) throws -> Tensor {
        let rows = blocks[0].shape[0], G = gateWidth
        let gates = try backend.uninitialized([rows, G], dtype: .float32)
        try projectBlocks(blocks, weight: weightIH, int8: int8?.input, into: gates, on: backend)
        if cell == .gru {
            try backend.addRowVector(biasIH.value, to: gates)
        } else {
            let bias = try backend.uninitialized([G], dtype: .float32)
            try backend.copy(biasIH.value, to: bias)
            try backend.axpy(alpha: 1, x: biasHH.value, y: bias)
            try backend.addRowVector(bias, to: gates)
        }
        return gates
    }

    /// Runs the direction over `input` (blocks of `[T, B, *]` whose widths sum to `inputSize`).
    /// `initialHidden`/`initialCell` `[B, H]` default to zeros. `gatheredInput`, when given, holds
    /// `projectInputs` of the input already, as rows of an `InputProjectionTable` that each step copies into
    /// one reused `[B, G]` buffer, and `input` is unused; such a pass is inference only and keeps nothing for backward.
    /// `activeRows[t]` (inference only) bounds the rows that still read a token at step `t`: rows past it are
    /// left out of that step's W_hh product. Their cells carry the state whatever their gates hold, so nothing
    /// changes but the work: with a batch ordered longest first (as `BucketBatcher` orders it) a step multiplies
    /// only the sequences that are still running, as PyTorch's packed sequences do.
    public func forward(_ input: SequenceBlocks, lengths: Tensor?, initialHidden: Tensor?, initialCell: Tensor?,
                        gatheredInput: GatheredInput? = nil, activeRows: [Int]? = nil,
                        preparedRecurrentWeight: PreparedGEMMOperand? = nil, on backend: Backend) throws -> Result {
        let H = hiddenSize, G = gateWidth
        let steps = gatheredInput?.tokens.shape[0] ?? input[0].shape[0]
        let batch = gatheredInput?.tokens.shape[1] ?? input[0].shape[1]
        // Gathered input: the per-step buffers are one step long ([1, B, G]) and every step reuses them.
        let bufferSteps = gatheredInput == nil ? steps : 1
        let rows = bufferSteps * batch

        // Input projection for every step at once, or per step from the table.
        let gates = try gatheredInput != nil ? backend.uninitialized([1, batch, G], dtype: .float32)
            : projectInputs(input.map { $0.reshaped([rows, $0.shape[2]]) }, on: backend).reshaped([steps, batch, G])
        // The GRU's h·W_hhᵀ + b_hh starts as b_hh in every row: the whole [T, B, G] buffer, or, with gathered
        // input, rows that refill the one-step buffer before each step's GEMM accumulates into it.
        var hiddenGates: Tensor?, hiddenBiasRows: Tensor?
        if cell == .gru {
            let biasRows = try backend.zeros([rows, G], dtype: .float32)
            try backend.addRowVector(biasHH.value, to: biasRows)
            if gatheredInput != nil {
                hiddenBiasRows = biasRows
                hiddenGates = try backend.uninitialized([1, batch, G], dtype: .float32)
            } else {
                hiddenGates = biasRows.reshaped([steps, batch, G])
            }
        }

        // Every step writes its whole next state (carried rows included) and output: only the first state
        // needs filling.
        let hiddenStates = try backend.uninitialized([steps + 1, batch, H], dtype: .float32)
        let cellStates = cell == .lstm ? try backend.uninitialized([steps + 1, batch, H], dtype: .float32) : nil
        let first = isReverse ? steps : 0
        if let initialHidden { try backend.copy(initialHidden, to: hiddenStates.slice(first)) }
        else { try backend.fill(hiddenStates.slice(first), with: 0) }
        if let cellStates {
            if let initialCell { try backend.copy(initialCell, to: cellStates.slice(first)) }
            else { try backend.fill(cellStates.slice(first), with: 0) }
        }
        let output = try backend.uninitialized([steps, batch, H], dtype: .float32)
        // W_hh is read by every step and does not change within the batch: prepare (pack) it once.
        let recurrentWeight = try preparedRecurrentWeight ?? prepareRecurrentWeight(on: backend)

        for t in timeOrder(steps) {
            let (previous, next) = stateIndices(t)
            let hPrev = hiddenStates.slice(previous)
            let buffer = gatheredInput == nil ? t : 0
            let stepGates = gates.slice(buffer), stepHiddenGates = hiddenGates?.slice(buffer)
            if let gatheredInput {
                try gatheredInput.gather(step: t, into: stepGates, on: backend)
                if let hiddenBiasRows, let stepHiddenGates { try backend.copy(hiddenBiasRows, to: stepHiddenGates) }
            }
            // Rows past activeRows[t] have ended: the step leaves them out of the W_hh product.
            let rows = activeRows.map { min($0[t], batch) } ?? batch
            switch cell {
            case .lstm:
                try backend.lstmStep(
                    gates: stepGates, hPrev: hPrev, recurrentWeight: recurrentWeight, activeRows: rows,
                    cPrev: cellStates!.slice(previous), cNext: cellStates!.slice(next), hNext: hiddenStates.slice(next),
                    output: output.slice(t), lengths: lengths, t: t)
            case .gru:
                try backend.gruStep(
                    inputGates: stepGates, hiddenGates: stepHiddenGates!, hPrev: hPrev, recurrentWeight: recurrentWeight,
                    activeRows: rows, hNext: hiddenStates.slice(next), output: output.slice(t), lengths: lengths, t: t)
            case .rnn:
                try backend.rnnStep(
                    preactivation: stepGates, hPrev: hPrev, recurrentWeight: recurrentWeight, activeRows: rows,
                    hNext: hiddenStates.slice(next), output: output.slice(t), lengths: lengths, t: t)
            }
        }

        saved = gatheredInput != nil ? nil : Saved(
            input: input, lengths: lengths, steps: steps, batch: batch, gates: gates,
            hiddenGates: hiddenGates, hiddenStates: hiddenStates, cellStates: cellStates)
        let last = isReverse ? 0 : steps
        return Result(output: output, finalHidden: hiddenStates.slice(last), finalCell: cellStates?.slice(last))
    }

    /// W_hh packed for the per-step GEMM `h · W_hhᵀ` (in int8 once quantized).
    public func prepareRecurrentWeight(on backend: Backend) throws -> PreparedGEMMOperand {
        if let int8 { return int8.recurrent }
        return try backend.prepareGEMMOperand(weightHH.value.matrix, .transposed, k: hiddenSize, n: gateWidth)
    }

    /// Int8 weights from now on, as PyTorch's dynamic quantization of `nn.LSTM`/`GRU` (int8 W_ih and W_hh,
    /// activations quantized per step); `false` goes back to fp32. For fixed weights: inference only.
    public func quantizeForInference(_ enabled: Bool = true, on backend: Backend) throws {
        int8 = enabled ? (Int8Weight(weightIH), try backend.prepareInt8GEMMOperand(
            weightHH.value.matrix, .transposed, k: hiddenSize, n: gateWidth)) : nil
    }

    /// Gradients of the last forward pass.
    public struct Gradients {
        public let initialHidden: Tensor
        public let initialCell: Tensor?
    }

    /// Backpropagates `dOutput` `[T, B, H]` (nil = none) and the gradients reaching the final state.
    /// Accumulates parameter gradients and adds the input gradient into `dInput` (blocks shaped like the
    /// forward input).
    @discardableResult
    public func backward(dOutput: Tensor?, dFinalHidden: Tensor?, dFinalCell: Tensor?, dInput: SequenceBlocks?,
                         on backend: Backend) throws -> Gradients {
        guard let saved else { preconditionFailure("backward called before forward") }
        precondition(int8 == nil, "an int8 layer is for inference only")
        let steps = saved.steps, batch = saved.batch, H = hiddenSize, G = gateWidth
        let rows = steps * batch

        let dh = try backend.zeros([batch, H], dtype: .float32)
        if let dFinalHidden { try backend.copy(dFinalHidden, to: dh) }
        let dc = cell == .lstm ? try backend.zeros([batch, H], dtype: .float32) : nil
        if let dFinalCell, let dc { try backend.copy(dFinalCell, to: dc) }
        let noOutputGradient = dOutput == nil ? try backend.zeros([batch, H], dtype: .float32) : nil

        // Gradients w.r.t. the input projection (dGX) and the recurrent projection (dGH); one tensor for
        // the LSTM and RNN, where both are the same sum.
        // The cell backward writes every row of every step (0 where not valid).
        let dInputGates = try backend.uninitialized([steps, batch, G], dtype: .float32)
        let dHiddenGates = cell == .gru ? try backend.uninitialized([steps, batch, G], dtype: .float32) : dInputGates

        let recurrentWeight = try backend.prepareGEMMOperand(weightHH.value.matrix, .none, k: G, n: H)
        for t in timeOrder(steps).reversed() {
            let (previous, next) = stateIndices(t)
            let dOut = dOutput?.slice(t) ?? noOutputGradient!
            switch cell {
            case .lstm:
                try backend.lstmCellBackward(
                    gates: saved.gates.slice(t), cPrev: saved.cellStates!.slice(previous),
                    cNext: saved.cellStates!.slice(next), dOutput: dOut, dh: dh, dc: dc!,
                    dGates: dInputGates.slice(t), lengths: saved.lengths, t: t)
            case .gru:
                try backend.gruCellBackward(
                    inputGates: saved.gates.slice(t), hiddenGates: saved.hiddenGates!.slice(t),
                    hPrev: saved.hiddenStates.slice(previous), dOutput: dOut, dh: dh,
                    dInputGates: dInputGates.slice(t), dHiddenGates: dHiddenGates.slice(t),
                    lengths: saved.lengths, t: t)
            case .rnn:
                try backend.rnnCellBackward(
                    activation: saved.gates.slice(t), dOutput: dOut, dh: dh,
                    dPreactivation: dInputGates.slice(t), lengths: saved.lengths, t: t)
            }
            try backend.gemm(.none, m: batch, alpha: 1, a: dHiddenGates.slice(t).matrix, b: recurrentWeight, beta: 1, c: dh.matrix)
        }

        // Weight gradients over all steps at once.
        let statesEntering = saved.hiddenStates.slice(isReverse ? 1..<(steps + 1) : 0..<steps).reshaped([rows, H])
        let dGX = dInputGates.reshaped([rows, G]), dGH = dHiddenGates.reshaped([rows, G])
        try backend.gemm(.transposed, .none, m: G, n: H, k: rows, alpha: 1,
                         a: dGH.matrix, b: statesEntering.matrix, beta: 1, c: weightHH.gradient.matrix)
        if cell == .gru {
            try backend.sumRows(dGH, into: biasHH.gradient, accumulate: true)
            try backend.sumRows(dGX, into: biasIH.gradient, accumulate: true)
        } else {
            // Both biases meet the same gate gradient: one pass over it, added to each.
            let biasGradient = try backend.uninitialized([G], dtype: .float32)
            try backend.sumRows(dGX, into: biasGradient, accumulate: false)
            try backend.axpy(alpha: 1, x: biasGradient, y: biasHH.gradient)
            try backend.axpy(alpha: 1, x: biasGradient, y: biasIH.gradient)
        }
        var column = 0
        for (index, block) in saved.input.enumerated() {
            let width = block.shape[2]
            try backend.gemm(.transposed, .none, m: G, n: width, k: rows, alpha: 1,
                             a: dGX.matrix, b: block.reshaped([rows, width]).matrix, beta: 1,
                             c: MatrixView(weightIH.gradient, columnOffset: column, ld: inputSize))
            if let dInput {
                try backend.gemm(.none, .none, m: rows, n: width, k: G, alpha: 1,
                                 a: dGX.matrix, b: MatrixView(weightIH.value, columnOffset: column, ld: inputSize),
                                 beta: 1, c: dInput[index].reshaped([rows, width]).matrix)
            }
            column += width
        }
        return Gradients(initialHidden: dh, initialCell: dc)
    }

    /// Steps and batch size of the last forward pass, while it is saved.
    public var savedSequenceShape: (steps: Int, batch: Int)? { saved.map { ($0.steps, $0.batch) } }

    /// Drops what forward saved (call after backward, or after an inference-only forward).
    public func releaseSaved() { saved = nil }

    private func timeOrder(_ steps: Int) -> [Int] {
        isReverse ? Array((0..<steps).reversed()) : Array(0..<steps)
    }

    /// (state entering step t, state leaving step t) in the `[T + 1, B, H]` buffers.
    private func stateIndices(_ t: Int) -> (Int, Int) {
        isReverse ? (t + 1, t) : (t, t + 1)
    }
}
