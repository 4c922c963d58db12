import RecurText

/// Per-epoch figures.
public struct EpochMetrics: Codable, Sendable, Equatable {
    public var epoch: Int
    public var trainLoss: Double
    public var trainAccuracy: Double
    public var validLoss: Double?
    public var validAccuracy: Double?
    public var learningRate: Double
    public var seconds: Double
    public var tokensPerSecond: Double

    public init(epoch: Int, trainLoss: Double, trainAccuracy: Double, validLoss: Double?, validAccuracy: Double?,
                learningRate: Double, seconds: Double, tokensPerSecond: Double) {
        self.epoch = epoch
        self.trainLoss = trainLoss
        self.trainAccuracy = trainAccuracy
        self.validLoss = validLoss
        self.validAccuracy = validAccuracy
        self.learningRate = learningRate
        self.seconds = seconds
        self.tokensPerSecond = tokensPerSecond
    }
}

/// A live view of training, for progress lines.
public struct TrainingProgress: Sendable {
    public var epoch: Int
    public var epochs: Int
    public var step: Int
    public var stepsInEpoch: Int
    public var loss: Double
    public var accuracy: Double
    public var tokensPerSecond: Double
    /// Seconds left in this epoch at the current rate.
    public var epochSecondsLeft: Double
}

/// A live view of an inference pass (validation, test, eval, predict), for progress lines.
public struct PredictionProgress: Sendable {
    public var texts: Int
    public var totalTexts: Int
    public var tokensPerSecond: Double
    /// Seconds left at the current rate (by tokens: batches come bucketed by length, not in text order).
    public var secondsLeft: Double
}

/// The index of the largest value (the first one on ties); 0 for an empty row.
public func argmax<Row: Collection>(_ row: Row) -> Int where Row.Element == Float, Row.Index == Int {
    guard var best = row.indices.first else { return 0 }
    for i in row.indices where row[i] > row[best] { best = i }
    return best - row.startIndex
}

/// Fixed-order batches for evaluation and prediction: bucketed by length to waste little padding, not shuffled.
public func evaluationBatches(sequences: [[Int32]], labels: [Int32]?, batchSize: Int = 64) -> [Batch] {
    BucketBatcher(lengths: sequences.map(\.count), batchSize: batchSize, seed: 0, shuffle: false)
        .batches(epoch: 0, sequences: sequences, labels: labels)
}

/// Predictions for a set of batches, in the batches' example order.
public struct Predictions: Sendable {
    public var exampleIndices: [Int] = []
    public var probabilities: [[Float]] = []
    public var labels: [Int32] = []
    public var loss: Double = 0

    public var predictedClasses: [Int] { probabilities.map(argmax) }
    /// Class probabilities by example index (batches are bucketed, so rows come in another order).
    public func probabilitiesByExample(count: Int) -> [[Float]] {
        var byExample = [[Float]](repeating: [], count: count)
        for (row, index) in exampleIndices.enumerated() { byExample[index] = probabilities[row] }
        return byExample
    }

    public var accuracy: Double {
        guard !labels.isEmpty else { return 0 }
        return Double(zip(predictedClasses, labels).filter { $0 == Int($1) }.count) / Double(labels.count)
    }
}
