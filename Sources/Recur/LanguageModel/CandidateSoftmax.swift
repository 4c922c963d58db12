import Foundation
import RecurCore

/// The candidate words one training step scores: a subset of the vocabulary (or all of it) with each
/// target's position in it and the log-probability correction of every candidate.
public struct CandidateSet: Sendable {
    /// Distinct vocabulary ids.
    public var ids: [Int32]
    /// For each target, its index in `ids`.
    public var targetIndices: [Int32]
    /// Added to each candidate's logit: −log P(candidate is in the set). Nil for the full vocabulary, where the
    /// softmax is exact.
    public var logitCorrections: [Float]?
    /// `ids` is the whole vocabulary in id order: the output layer is used as it is, without gathering rows.
    public var isFullVocabulary = false

    /// Every word of a `vocabularySize` vocabulary: the exact softmax.
    public static func fullVocabulary(_ vocabularySize: Int, targets: [Int32]) -> CandidateSet {
        CandidateSet(ids: (0..<Int32(vocabularySize)).map { $0 }, targetIndices: targets, logitCorrections: nil,
                     isFullVocabulary: true)
    }
}

/// Sampled softmax for large vocabularies (Jean et al. 2015; Bengio & Senécal 2008): instead of all V words a
/// step scores the batch's own targets plus `negatives` words drawn from the unigram distribution, and
/// subtracts log P(word in the set) from each logit so that the sampled loss estimates the full one. With
/// 4,000 positions a step the candidates are a few thousand of 30,000 words: the output layer costs a tenth.
public struct NegativeSampler: Sendable {
    /// Cumulative unigram probabilities by vocabulary id.
    private let cumulative: [Double]
    private let probabilities: [Double]
    public let negatives: Int

    /// `counts[id]`: occurrences of each id in the training text.
    public init(counts: [Int], negatives: Int) {
        let total = Double(max(counts.reduce(0, +), 1))
        probabilities = counts.map { Double($0) / total }
        var running = 0.0
        cumulative = probabilities.map { running += $0; return running }
        self.negatives = negatives
    }

    public var vocabularySize: Int { probabilities.count }

    public func candidates<G: RandomNumberGenerator>(for targets: [Int32], using generator: inout G) -> CandidateSet {
        var index = [Int32](repeating: -1, count: probabilities.count)
        var ids: [Int32] = []
        func add(_ id: Int32) -> Int32 {
            if index[Int(id)] < 0 {
                index[Int(id)] = Int32(ids.count)
                ids.append(id)
            }
            return index[Int(id)]
        }
        let targetIndices = targets.map(add)
        let last = cumulative.last ?? 1
        for _ in 0..<negatives {
            let u = Double.random(in: 0..<last, using: &generator)
            var low = 0, high = cumulative.count - 1
            while low < high {
                let middle = (low + high) / 2
                if cumulative[middle] > u { high = middle } else { low = middle + 1 }
            }
            _ = add(Int32(low))
        }
        // The batch's targets are themselves draws from (roughly) the unigram distribution, so every id was
        // given targets.count + negatives chances to enter the set.
        let draws = Double(targets.count + negatives)
        let corrections = ids.map { id -> Float in
            let p = max(probabilities[Int(id)], 1e-12)
            let inclusion = -expm1(draws * log1p(-min(p, 1 - 1e-12)))
            return Float(-log(max(inclusion, 1e-30)))
        }
        return CandidateSet(ids: ids, targetIndices: targetIndices, logitCorrections: corrections)
    }
}

/// Softmax cross-entropy of output vectors against the rows of an output weight (`[V, D]`, possibly the
/// tied embedding) and bias (`[V]`), over a `CandidateSet`. Forward and backward are GEMMs over the gathered
/// candidate rows; the weight gradient is scattered back into the full-size gradients. Over the full
/// vocabulary the weight and bias are read and their gradients accumulated in place.
public final class CandidateSoftmax {
    public let weight: Parameter
    public let bias: Parameter
    /// `ids` is nil for the full vocabulary (`rows` is then the weight itself).
    private var saved: (outputs: Tensor, ids: Tensor?, rows: Tensor, probabilities: Tensor, targets: Tensor, count: Int)?

    public init(weight: Parameter, bias: Parameter) {
        self.weight = weight
        self.bias = bias
    }

    public var vocabularySize: Int { weight.shape[0] }
    private var width: Int { weight.shape[1] }

    /// Logits `[N, C]` of `outputs` `[N, D]` against the candidates, with their rows and (unless the set is
    /// the full vocabulary) their ids on the device.
    private func logits(_ outputs: Tensor, _ candidates: CandidateSet,
                        on backend: Backend) throws -> (logits: Tensor, rows: Tensor, ids: Tensor?) {
        let count = candidates.ids.count, n = outputs.rows
        var rows = weight.value, biases = bias.value
        var ids: Tensor?
        if !candidates.isFullVocabulary {
            let candidateIDs = try backend.upload(candidates.ids, shape: [count])
            rows = try backend.uninitialized([count, width], dtype: .float32)
            try backend.embeddingForward(weight: weight.value, tokens: candidateIDs, output: rows)
            biases = try backend.uninitialized([count], dtype: .float32)
            try backend.embeddingForward(weight: bias.value.reshaped([vocabularySize, 1]), tokens: candidateIDs,
                                         output: biases.reshaped([count, 1]))
            if let corrections = candidates.logitCorrections {
                try backend.axpy(alpha: 1, x: try backend.upload(corrections, shape: [count]), y: biases)
            }
            ids = candidateIDs
        }
        let logits = try backend.uninitialized([n, count], dtype: .float32)
        try backend.gemm(.none, .transposed, m: n, n: count, k: width, alpha: 1, a: outputs.matrix, b: rows.matrix,
                         beta: 0, c: logits.matrix)
        try backend.addRowVector(biases, to: logits)
        return (logits, rows, ids)
    }

    /// The mean loss over the `N` rows (a one-element device tensor); keeps what `backward` needs.
    public func forward(outputs: Tensor, candidates: CandidateSet, on backend: Backend) throws -> Tensor {
        let (logits, rows, ids) = try logits(outputs, candidates, on: backend)
        let n = outputs.rows
        let targets = try backend.upload(candidates.targetIndices, shape: [n])
        let rowLosses = try backend.uninitialized([n], dtype: .float32)
        let probabilities = try backend.uninitialized(logits.shape, dtype: .float32)
        try backend.softmaxCrossEntropy(logits: logits, targets: targets, classWeights: nil, ignoreIndex: nil,
                                        probabilities: probabilities, rowLosses: rowLosses)
        let loss = try backend.uninitialized([1], dtype: .float32)
        try backend.sum(rowLosses, into: loss, accumulate: false)
        try backend.scale(loss, by: 1 / Float(max(n, 1)))
        saved = (outputs, ids, rows, probabilities, targets, candidates.ids.count)
        return loss
    }

    /// Accumulates the weight and bias gradients and returns d(mean loss)/d(outputs) `[N, D]`.
    public func backward(on backend: Backend) throws -> Tensor {
        guard let saved else { preconditionFailure("backward before forward") }
        let n = saved.outputs.rows, count = saved.count
        let dLogits = try backend.uninitialized(saved.probabilities.shape, dtype: .float32)
        try backend.softmaxCrossEntropyBackward(probabilities: saved.probabilities, targets: saved.targets, classWeights: nil,
                                                ignoreIndex: nil, scale: 1 / Float(max(n, 1)), dLogits: dLogits)
        let dOutputs = try backend.uninitialized([n, width], dtype: .float32)
        try backend.gemm(.none, .none, m: n, n: width, k: count, alpha: 1, a: dLogits.matrix, b: saved.rows.matrix,
                         beta: 0, c: dOutputs.matrix)
        guard let ids = saved.ids else {
            try backend.gemm(.transposed, .none, m: count, n: width, k: n, alpha: 1, a: dLogits.matrix,
                             b: saved.outputs.matrix, beta: 1, c: weight.gradient.matrix)
            try backend.sumRows(dLogits, into: bias.gradient, accumulate: true)
            self.saved = nil
            return dOutputs
        }
        let dRows = try backend.uninitialized([count, width], dtype: .float32)
        try backend.gemm(.transposed, .none, m: count, n: width, k: n, alpha: 1, a: dLogits.matrix, b: saved.outputs.matrix,
                         beta: 0, c: dRows.matrix)
        try backend.embeddingBackward(dOutput: dRows, tokens: ids, dWeight: weight.gradient, paddingIndex: nil)
        let dBiases = try backend.uninitialized([count], dtype: .float32)
        try backend.sumRows(dLogits, into: dBiases, accumulate: false)
        try backend.embeddingBackward(dOutput: dBiases.reshaped([count, 1]), tokens: ids,
                                      dWeight: bias.gradient.reshaped([vocabularySize, 1]), paddingIndex: nil)
        self.saved = nil
        return dOutputs
    }

    /// The exact summed negative log-likelihood of `targets` over the full vocabulary, in row chunks small
    /// enough that the `[rows, V]` logits stay a few tens of megabytes.
    public func exactNegativeLogLikelihood(outputs: Tensor, targets: [Int32], on backend: Backend) throws -> Double {
        let n = outputs.rows, chunk = max(1, (1 << 22) / max(vocabularySize, 1))
        // Summed on the device and read once: no round trip per chunk.
        let total = try backend.zeros([1], dtype: .float32)
        var start = 0
        let all = CandidateSet.fullVocabulary(vocabularySize, targets: [])
        while start < n {
            let end = min(n, start + chunk)
            let rows = outputs.reshaped([n, width]).slice(start..<end).reshaped([end - start, width])
            let (logits, _, _) = try logits(rows, all, on: backend)
            let rowLosses = try backend.uninitialized([end - start], dtype: .float32)
            let probabilities = try backend.uninitialized(logits.shape, dtype: .float32)
            try backend.softmaxCrossEntropy(logits: logits, targets: try backend.upload(Array(targets[start..<end]), shape: [end - start]),
                                            classWeights: nil, ignoreIndex: nil, probabilities: probabilities, rowLosses: rowLosses)
            try backend.sum(rowLosses, into: total, accumulate: true)
            start = end
        }
        return Double(try backend.download(total)[0])
    }

    /// Next-word probabilities `[N, V]` for output vectors `[N, D]` (generation).
    public func probabilities(outputs: Tensor, on backend: Backend) throws -> Tensor {
        let (logits, _, _) = try logits(outputs, .fullVocabulary(vocabularySize, targets: []), on: backend)
        let probabilities = try backend.uninitialized(logits.shape, dtype: .float32)
        try backend.softmax(logits, into: probabilities)
        return probabilities
    }
}
