import Recur

/// Recur keeps PyTorch's gate layout (LSTM i,f,g,o; GRU r,z,n); ONNX's LSTM wants i,o,f,c and its GRU z,r,h.
/// The weights are the same numbers with their H-row gate blocks permuted.
enum GateOrder {
    /// For each ONNX gate block, the PyTorch block it comes from.
    static func onnxBlocks(_ cell: RecurrentCellKind) -> [Int] {
        switch cell {
        case .lstm: [0, 3, 1, 2]  // i, o, f, c(= g)
        case .gru: [1, 0, 2]  // z, r, h(= n)
        case .rnn: [0]
        }
    }

    /// `values`: a row-major `[G·H, width]` matrix (or a `[G·H]` bias with width 1) in PyTorch's gate order;
    /// returns it in ONNX's.
    static func reorder(_ values: [Float], cell: RecurrentCellKind, hiddenSize: Int, width: Int) -> [Float] {
        let block = hiddenSize * width
        precondition(values.count == cell.gateCount * block, "a \(cell) gate matrix has \(cell.gateCount) blocks of \(block)")
        return onnxBlocks(cell).flatMap { values[($0 * block)..<(($0 + 1) * block)] }
    }
}
