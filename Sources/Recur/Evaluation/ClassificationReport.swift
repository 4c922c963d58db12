import Foundation

/// Accuracy, per-class precision / recall / F1 with support, their macro and weighted averages, and the
/// confusion matrix: what `sklearn.metrics.classification_report` prints.
public struct ClassificationReport: Codable, Sendable, Equatable {
    public struct ClassScores: Codable, Sendable, Equatable {
        public var label: String
        public var precision: Double
        public var recall: Double
        public var f1: Double
        public var support: Int
    }

    public var labels: [String]
    /// `confusion[actual][predicted]`.
    public var confusion: [[Int]]
    public var accuracy: Double
    public var perClass: [ClassScores]
    public var macroPrecision: Double
    public var macroRecall: Double
    public var macroF1: Double
    public var weightedPrecision: Double
    public var weightedRecall: Double
    public var weightedF1: Double
    public var count: Int

    /// Scores predictions against targets (class indices into `labels`). A class never predicted has
    /// precision 0, as scikit-learn's `zero_division=0`.
    public init(labels: [String], targets: [Int], predictions: [Int]) {
        precondition(targets.count == predictions.count)
        let k = labels.count
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: k), count: k)
        for (actual, predicted) in zip(targets, predictions) { confusion[actual][predicted] += 1 }
        let total = targets.count
        let correct = (0..<k).reduce(0) { $0 + confusion[$1][$1] }
        var perClass: [ClassScores] = []
        for c in 0..<k {
            let truePositives = Double(confusion[c][c])
            let predicted = Double((0..<k).reduce(0) { $0 + confusion[$1][c] })
            let support = confusion[c].reduce(0, +)
            let precision = predicted > 0 ? truePositives / predicted : 0
            let recall = support > 0 ? truePositives / Double(support) : 0
            let f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
            perClass.append(ClassScores(label: labels[c], precision: precision, recall: recall, f1: f1, support: support))
        }
        func macro(_ score: (ClassScores) -> Double) -> Double { k > 0 ? perClass.map(score).reduce(0, +) / Double(k) : 0 }
        func weighted(_ score: (ClassScores) -> Double) -> Double {
            total > 0 ? perClass.map { score($0) * Double($0.support) }.reduce(0, +) / Double(total) : 0
        }
        self.labels = labels
        self.confusion = confusion
        self.accuracy = total > 0 ? Double(correct) / Double(total) : 0
        self.perClass = perClass
        self.macroPrecision = macro(\.precision)
        self.macroRecall = macro(\.recall)
        self.macroF1 = macro(\.f1)
        self.weightedPrecision = weighted(\.precision)
        self.weightedRecall = weighted(\.recall)
        self.weightedF1 = weighted(\.f1)
        self.count = total
    }

    /// The report as a fixed-width table followed by the confusion matrix, for terminals and `report.txt`.
    public var text: String {
        let width = max(12, labels.map(\.count).max() ?? 0)
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : String(repeating: " ", count: n - s.count) + s }
        func f(_ x: Double) -> String { String(format: "%.4f", x) }
        var lines = [pad("", width) + pad("precision", 11) + pad("recall", 9) + pad("f1", 9) + pad("support", 9)]
        for c in perClass {
            lines.append(pad(c.label, width) + pad(f(c.precision), 11) + pad(f(c.recall), 9) + pad(f(c.f1), 9) + pad("\(c.support)", 9))
        }
        lines.append("")
        lines.append(pad("accuracy", width) + pad("", 11) + pad("", 9) + pad(f(accuracy), 9) + pad("\(count)", 9))
        lines.append(pad("macro avg", width) + pad(f(macroPrecision), 11) + pad(f(macroRecall), 9) + pad(f(macroF1), 9) + pad("\(count)", 9))
        lines.append(pad("weighted avg", width) + pad(f(weightedPrecision), 11) + pad(f(weightedRecall), 9) + pad(f(weightedF1), 9) + pad("\(count)", 9))
        lines.append("")
        lines.append("confusion matrix (rows: actual, columns: predicted)")
        let cell = max(7, labels.map(\.count).max() ?? 0, "\(confusion.flatMap { $0 }.max() ?? 0)".count) + 2
        lines.append(pad("", width) + labels.map { pad($0, cell) }.joined())
        for (c, row) in confusion.enumerated() {
            lines.append(pad(labels[c], width) + row.map { pad("\($0)", cell) }.joined())
        }
        return lines.joined(separator: "\n")
    }
}
