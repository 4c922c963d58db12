/// The validation figure that picks the best epoch and drives early stopping (Keras's `monitor`).
/// Accuracy is what users report; loss is smoother on a small validation set, where accuracy moves in steps
/// of one example and ties between epochs are common.
public enum ValidationMonitor: String, Codable, Sendable, CaseIterable {
    case validAccuracy = "valid-accuracy"
    case validLoss = "valid-loss"

    /// The epoch's score, higher is better; nil without validation data.
    public func score(_ metrics: EpochMetrics) -> Double? {
        switch self {
        case .validAccuracy: metrics.validAccuracy
        case .validLoss: metrics.validLoss.map { -$0 }
        }
    }

    /// Names the figure in log lines: "validation accuracy", "validation loss".
    public var description: String {
        switch self {
        case .validAccuracy: "validation accuracy"
        case .validLoss: "validation loss"
        }
    }

    /// A score as the figure it came from (the loss's sign restored).
    public func figure(_ score: Double) -> Double {
        self == .validLoss ? -score : score
    }
}
