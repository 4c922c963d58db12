import Foundation
import RecurCore
import RecurText

/// How a token's contribution to a prediction is measured.
public enum AttributionMethod: String, Codable, Sendable, CaseIterable {
    /// Integrated gradients (Sundararajan et al. 2017) on the word embeddings: the gradient integrated along
    /// the straight path from the baseline to the text, times (text − baseline). The scores add up to
    /// f(text) − f(baseline).
    case integratedGradients = "ig"
    /// Occlusion (Zeiler & Fergus 2014): how much the probability drops when one token's embedding is
    /// replaced by the baseline's; Captum's `Occlusion` with a one-token window.
    case occlusion
}

/// One text's attributions: a score per model token (in `ModelTokens.ids` order) for the probability of
/// class `target`. Positive scores raise it.
public struct TokenAttribution: Sendable, Equatable, Codable {
    public var method: AttributionMethod
    public var target: Int
    public var scores: [Double]
    /// The model's class probabilities for the text.
    public var probabilities: [Double]
    /// f(text): the model's probability of `target`.
    public var probability: Double { probabilities[target] }
    /// f(baseline): the same with every token but the markers replaced by padding.
    public var baselineProbability: Double
    /// The integration points integrated gradients used; nil for occlusion.
    public var steps: Int?

    public init(method: AttributionMethod, target: Int, scores: [Double], probabilities: [Double], baselineProbability: Double,
                steps: Int? = nil) {
        self.steps = steps
        self.method = method
        self.target = target
        self.scores = scores
        self.probabilities = probabilities
        self.baselineProbability = baselineProbability
    }

    /// The class the model predicts.
    public var predicted: Int { probabilities.indices.max { probabilities[$0] < probabilities[$1] }! }

    /// Σ scores − (f(text) − f(baseline)): zero for integrated gradients up to the integration error.
    public var completenessGap: Double { scores.reduce(0, +) - (probability - baselineProbability) }
}

/// Computes token attributions for one classifier on its backend. The baseline is the text with every
/// token replaced by padding, markers (`[CLS]`, `[SEP]`, a start token) kept: for a recurrent model the
/// padding embedding is zero, the usual all-zeros baseline.
public struct TokenAttributor {
    public let model: any EmbeddingAttributable
    public let backend: Backend
    public let paddingID: Int32
    /// Integration points for integrated gradients (Captum's `n_steps`). Nil (the default) starts at 50, as
    /// Captum does, and doubles up to `maxSteps` until the scores add up to f(text) − f(baseline) within
    /// `tolerance`: max pooling and ReLUs put kinks in the path, where 50 points can miss by a few percent.
    public var steps: Int?
    public var rule = IntegrationRule.gaussLegendre
    /// Completeness asked of adaptive integration: |gap| ≤ tolerance · |f(text) − f(baseline)|, or 1e-4.
    public var tolerance = 0.01
    public var maxSteps = 800
    /// Tokens per forward pass: the points of a path (or the occluded copies) are batched up to this many
    /// (Captum's `internal_batch_size`, in tokens), which bounds memory.
    public var tokensPerPass = 4096

    public init(model: any EmbeddingAttributable, paddingID: Int32, on backend: Backend) {
        self.model = model
        self.paddingID = paddingID
        self.backend = backend
    }

    /// Attributions of `input` for class `target` (the predicted class when nil).
    public func attribute(_ input: ModelTokens, target: Int? = nil, method: AttributionMethod) throws -> TokenAttribution {
        let ids = input.ids
        let baselineIDs = ids.indices.map { input.isMarker($0) ? ids[$0] : paddingID }
        let text = try lookUp(ids), baseline = try lookUp(baselineIDs)
        let ends = try probabilities(of: [text, baseline], ids: ids)
        let target = target ?? ends[0].indices.max { ends[0][$0] < ends[0][$1] }!
        guard ends[0].indices.contains(target) else {
            throw BackendError.invalidArgument("class \(target) is not one of the model's \(ends[0].count) classes")
        }
        var scores: [Double]
        var steps: Int?
        switch method {
        case .integratedGradients:
            var points = self.steps ?? 50
            scores = try integratedGradients(text: text, baseline: baseline, ids: ids, target: target, steps: points)
            let change = ends[0][target] - ends[1][target]
            while self.steps == nil, points < maxSteps,
                  abs(scores.reduce(0, +) - change) > max(tolerance * abs(change), 1e-4) {
                points = min(maxSteps, points * 2)
                scores = try integratedGradients(text: text, baseline: baseline, ids: ids, target: target, steps: points)
            }
            steps = points
        case .occlusion:
            scores = try occlusion(text: text, baseline: baseline, ids: ids, target: target,
                                   probability: ends[0][target], markers: ids.indices.map(input.isMarker))
        }
        return TokenAttribution(method: method, target: target, scores: scores, probabilities: ends[0],
                                baselineProbability: ends[1][target], steps: steps)
    }

    // MARK: - Methods

    /// Σ over points α of weight(α) · ∇f(baseline + α(text − baseline)) · (text − baseline), per token.
    private func integratedGradients(text: [Float], baseline: [Float], ids: [Int32], target: Int, steps points: Int) throws -> [Double] {
        let (steps, width) = (ids.count, model.wordEmbedding.dimension)
        let difference = zip(text, baseline).map { $0 - $1 }
        let (alphas, weights) = rule.points(steps: points)
        var scores = [Double](repeating: 0, count: steps)
        for chunk in chunks(alphas.count, tokensPerRow: steps) {
            let rows = chunk.map { i in zip(baseline, difference).map { $0 + Float(alphas[i]) * $1 } }
            let logits = try forward(rows, ids: ids)
            let probabilities = softmaxRows(logits.values, classes: logits.classes)
            // d p_target / d logit_j = p_target (δ_target,j − p_j).
            var dLogits = [Float](repeating: 0, count: probabilities.count)
            for row in chunk.indices {
                let p = probabilities[(row * logits.classes)..<((row + 1) * logits.classes)]
                let pTarget = p[p.startIndex + target]
                for j in 0..<logits.classes {
                    dLogits[row * logits.classes + j] = Float(pTarget * ((j == target ? 1 : 0) - p[p.startIndex + j]))
                }
            }
            let gradient = try backend.download(
                try model.wordEmbeddingGradient(dLogits: try backend.upload(dLogits, shape: [chunk.count, logits.classes]), on: backend))
            // gradient is time-major [T, rows, E].
            for (row, point) in chunk.enumerated() {
                for t in 0..<steps {
                    let base = (t * chunk.count + row) * width
                    var dot: Double = 0
                    for e in 0..<width { dot += Double(gradient[base + e]) * Double(difference[t * width + e]) }
                    scores[t] += weights[point] * dot
                }
            }
        }
        return scores
    }

    /// f(text) − f(text with token t's embedding replaced by the baseline's), per token; markers score 0.
    private func occlusion(text: [Float], baseline: [Float], ids: [Int32], target: Int, probability: Double,
                           markers: [Bool]) throws -> [Double] {
        let width = model.wordEmbedding.dimension
        let occluded = ids.indices.filter { !markers[$0] }
        var scores = [Double](repeating: 0, count: ids.count)
        for chunk in chunks(occluded.count, tokensPerRow: ids.count) {
            let rows = chunk.map { i -> [Float] in
                var row = text
                let t = occluded[i]
                row.replaceSubrange((t * width)..<((t + 1) * width), with: baseline[(t * width)..<((t + 1) * width)])
                return row
            }
            let logits = try forward(rows, ids: ids)
            let probabilities = softmaxRows(logits.values, classes: logits.classes)
            for (row, i) in chunk.enumerated() {
                scores[occluded[i]] = probability - probabilities[row * logits.classes + target]
            }
        }
        return scores
    }

    // MARK: - Passes

    /// The word embeddings `[T, E]` of `ids`, on the host.
    private func lookUp(_ ids: [Int32]) throws -> [Float] {
        try backend.download(try model.wordEmbedding.forward(try backend.upload(ids, shape: [ids.count, 1]), on: backend))
    }

    /// Class probabilities per row for rows of `[T, E]` embeddings, all read as `ids`.
    private func probabilities(of rows: [[Float]], ids: [Int32]) throws -> [[Double]] {
        let logits = try forward(rows, ids: ids)
        let flat = softmaxRows(logits.values, classes: logits.classes)
        return rows.indices.map { Array(flat[($0 * logits.classes)..<(($0 + 1) * logits.classes)]) }
    }

    /// Logits for a batch whose column b holds `rows[b]` (`[T, E]` each), time-major as the models take it.
    private func forward(_ rows: [[Float]], ids: [Int32]) throws -> (values: [Float], classes: Int) {
        let (steps, batch, width) = (ids.count, rows.count, model.wordEmbedding.dimension)
        var embedded = [Float](repeating: 0, count: steps * batch * width)
        for (b, row) in rows.enumerated() {
            for t in 0..<steps {
                let source = t * width, target = (t * batch + b) * width
                for e in 0..<width { embedded[target + e] = row[source + e] }
            }
        }
        let tokens = try backend.upload(ids.flatMap { [Int32](repeating: $0, count: batch) }, shape: [steps, batch])
        let lengths = try backend.upload([Int32](repeating: Int32(steps), count: batch), shape: [batch])
        let logits = try model.logits(tokens: tokens, lengths: lengths,
                                      wordEmbeddings: try backend.upload(embedded, shape: [steps, batch, width]), on: backend)
        return (try backend.download(logits), logits.shape[1])
    }

    /// `count` items in batches of at most `tokensPerPass / tokensPerRow` (at least one).
    private func chunks(_ count: Int, tokensPerRow: Int) -> [[Int]] {
        let size = max(1, tokensPerPass / max(1, tokensPerRow))
        return stride(from: 0, to: count, by: size).map { Array($0..<min(count, $0 + size)) }
    }

    private func softmaxRows(_ logits: [Float], classes: Int) -> [Double] {
        var result = [Double](repeating: 0, count: logits.count)
        for row in 0..<(logits.count / classes) {
            let values = logits[(row * classes)..<((row + 1) * classes)].map(Double.init)
            let largest = values.max() ?? 0
            let exps = values.map { Foundation.exp($0 - largest) }
            let sum = exps.reduce(0, +)
            for j in 0..<classes { result[row * classes + j] = exps[j] / sum }
        }
        return result
    }
}
