/// The recurrent cell of a layer, with PyTorch's gate layout.
public enum RecurrentCellKind: String, Codable, Sendable, CaseIterable {
    /// Gates i, f, g, o.
    case lstm
    /// Gates r, z, n; the reset gate multiplies the recurrent product (PyTorch, cuDNN).
    case gru
    /// Elman RNN with tanh.
    case rnn

    /// Rows per hidden unit in the stacked weight matrices.
    public var gateCount: Int {
        switch self {
        case .lstm: 4
        case .gru: 3
        case .rnn: 1
        }
    }

    /// The gate order written into model files' metadata.
    public var gateOrder: String {
        switch self {
        case .lstm: "i,f,g,o"
        case .gru: "r,z,n"
        case .rnn: "tanh"
        }
    }
}
