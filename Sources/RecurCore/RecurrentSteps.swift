/// A recurrent layer's forward step: the product with W_hh and the cell, as one call, so that a backend can
/// fuse them (`FusedRecurrentSteps`); any other backend runs the GEMM and then the cell op.
extension Backend {
    /// `gates[0..<activeRows] += hPrev[0..<activeRows] · W_hhᵀ` (`recurrentWeight` from
    /// `prepareGEMMOperand(W_hh, .transposed, ...)` or its int8 twin), then `lstmCellForward` on every row.
    /// Rows from `activeRows` on are not valid at `t` (the batch is ordered longest first) and skip the product.
    public func lstmStep(
        gates: Tensor, hPrev: Tensor, recurrentWeight: PreparedGEMMOperand, activeRows: Int,
        cPrev: Tensor, cNext: Tensor, hNext: Tensor, output: Tensor, lengths: Tensor?, t: Int
    ) throws {
        if let fusing = self as? FusedRecurrentSteps, try fusing.fusedLSTMStep(
            gates: gates, hPrev: hPrev, recurrentWeight: recurrentWeight, activeRows: activeRows,
            cPrev: cPrev, cNext: cNext, hNext: hNext, output: output, lengths: lengths, t: t) { return }
        try recurrentProduct(hPrev, recurrentWeight, activeRows: activeRows, into: gates)
        try lstmCellForward(gates: gates, cPrev: cPrev, hPrev: hPrev, cNext: cNext, hNext: hNext, output: output,
                            lengths: lengths, t: t)
    }

    /// `lstmStep` for the GRU: the product accumulates into `hiddenGates` (which holds b_hh), then `gruCellForward`.
    public func gruStep(
        inputGates: Tensor, hiddenGates: Tensor, hPrev: Tensor, recurrentWeight: PreparedGEMMOperand, activeRows: Int,
        hNext: Tensor, output: Tensor, lengths: Tensor?, t: Int
    ) throws {
        if let fusing = self as? FusedRecurrentSteps, try fusing.fusedGRUStep(
            inputGates: inputGates, hiddenGates: hiddenGates, hPrev: hPrev, recurrentWeight: recurrentWeight,
            activeRows: activeRows, hNext: hNext, output: output, lengths: lengths, t: t) { return }
        try recurrentProduct(hPrev, recurrentWeight, activeRows: activeRows, into: hiddenGates)
        try gruCellForward(inputGates: inputGates, hiddenGates: hiddenGates, hPrev: hPrev, hNext: hNext,
                           output: output, lengths: lengths, t: t)
    }

    /// `lstmStep` for the Elman RNN: the product accumulates into `preactivation`, then `rnnCellForward`.
    public func rnnStep(
        preactivation: Tensor, hPrev: Tensor, recurrentWeight: PreparedGEMMOperand, activeRows: Int,
        hNext: Tensor, output: Tensor, lengths: Tensor?, t: Int
    ) throws {
        if let fusing = self as? FusedRecurrentSteps, try fusing.fusedRNNStep(
            preactivation: preactivation, hPrev: hPrev, recurrentWeight: recurrentWeight, activeRows: activeRows,
            hNext: hNext, output: output, lengths: lengths, t: t) { return }
        try recurrentProduct(hPrev, recurrentWeight, activeRows: activeRows, into: preactivation)
        try rnnCellForward(preactivation: preactivation, hPrev: hPrev, hNext: hNext, output: output, lengths: lengths, t: t)
    }

    /// The unfused steps' product: `target[0..<activeRows] += hPrev[0..<activeRows] · W_hhᵀ`.
    func recurrentProduct(_ hPrev: Tensor, _ recurrentWeight: PreparedGEMMOperand, activeRows: Int, into target: Tensor) throws {
        let rows = min(activeRows, hPrev.rows)
        if rows > 0 {
            try gemm(.none, m: rows, alpha: 1, a: hPrev.matrix, b: recurrentWeight, beta: 1, c: target.matrix)
        }
    }
}

/// A backend that runs a recurrent step's product and cell as one pass (the CPU backend). Each method takes
/// the arguments of its `Backend` step and returns false, having done nothing, when it cannot fuse that step.
public protocol FusedRecurrentSteps {
    func fusedLSTMStep(
        gates: Tensor, hPrev: Tensor, recurrentWeight: PreparedGEMMOperand, activeRows: Int,
        cPrev: Tensor, cNext: Tensor, hNext: Tensor, output: Tensor, lengths: Tensor?, t: Int
    ) throws -> Bool
    func fusedGRUStep(
        inputGates: Tensor, hiddenGates: Tensor, hPrev: Tensor, recurrentWeight: PreparedGEMMOperand, activeRows: Int,
        hNext: Tensor, output: Tensor, lengths: Tensor?, t: Int
    ) throws -> Bool
    func fusedRNNStep(
        preactivation: Tensor, hPrev: Tensor, recurrentWeight: PreparedGEMMOperand, activeRows: Int,
        hNext: Tensor, output: Tensor, lengths: Tensor?, t: Int
    ) throws -> Bool
}
