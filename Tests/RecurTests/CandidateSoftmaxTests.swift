import Foundation
import Recur
import RecurCore
import RecurText
import Testing

/// The sampled softmax against a double-precision host reference, on every backend: over the whole
/// vocabulary it must be the exact softmax (loss and every gradient); over a sample it must be the softmax
/// of the corrected candidate logits, with gradients scattered to the candidates' rows only.
struct CandidateSoftmaxTests {
    let vocabulary = 23, width = 5, rows = 7

    /// Loss and gradients of mean cross-entropy over `candidates`, in doubles.
    func reference(outputs: [Float], weight: [Float], bias: [Float], candidates: CandidateSet)
        -> (loss: Double, dOutputs: [Double], dWeight: [Double], dBias: [Double]) {
        let ids = candidates.ids.map(Int.init)
        var loss = 0.0
        var dOutputs = [Double](repeating: 0, count: rows * width)
        var dWeight = [Double](repeating: 0, count: vocabulary * width)
        var dBias = [Double](repeating: 0, count: vocabulary)
        for r in 0..<rows {
            let logits = ids.enumerated().map { c, id in
                (0..<width).reduce(Double(bias[id])) { $0 + Double(outputs[r * width + $1]) * Double(weight[id * width + $1]) }
                    + Double(candidates.logitCorrections?[c] ?? 0)
            }
            let top = logits.max()!
            let sum = logits.reduce(0) { $0 + exp($1 - top) }
            let target = Int(candidates.targetIndices[r])
            loss += (log(sum) + top - logits[target]) / Double(rows)
            for (c, id) in ids.enumerated() {
                let g = (exp(logits[c] - top) / sum - (c == target ? 1 : 0)) / Double(rows)
                dBias[id] += g
                for k in 0..<width {
                    dOutputs[r * width + k] += g * Double(weight[id * width + k])
                    dWeight[id * width + k] += g * Double(outputs[r * width + k])
                }
            }
        }
        return (loss, dOutputs, dWeight, dBias)
    }

    func check(_ candidates: CandidateSet, on backend: Backend) throws {
        var random = WeightInitializer(seed: 7)
        let outputs = random.uniform(count: rows * width, bound: 1)
        let weightValues = random.uniform(count: vocabulary * width, bound: 1)
        let biasValues = random.uniform(count: vocabulary, bound: 0.5)
        let weight = try Parameter(name: "w", shape: [vocabulary, width], values: weightValues, on: backend)
        let bias = try Parameter(name: "b", shape: [vocabulary], values: biasValues, on: backend)
        let softmax = CandidateSoftmax(weight: weight, bias: bias)
        let loss = try softmax.forward(outputs: try backend.upload(outputs, shape: [rows, width]), candidates: candidates, on: backend)
        let dOutputs = try softmax.backward(on: backend)
        let expected = reference(outputs: outputs, weight: weightValues, bias: biasValues, candidates: candidates)
        let what = "\(backend.name), \(candidates.ids.count) candidates"
        expectClose(try backend.download(loss), [Float(expected.loss)], "\(what): loss")
        expectClose(try backend.download(dOutputs), expected.dOutputs.map(Float.init), "\(what): d outputs")
        expectClose(try backend.download(weight.gradient), expected.dWeight.map(Float.init), "\(what): d weight")
        expectClose(try backend.download(bias.gradient), expected.dBias.map(Float.init), "\(what): d bias")
    }

    @Test func fullVocabularyIsTheExactSoftmax() throws {
        let targets: [Int32] = [3, 0, 22, 3, 17, 9, 1]
        for backend in try TestBackends.all() {
            try check(.fullVocabulary(vocabulary, targets: targets), on: backend)
        }
    }

    @Test func sampledCandidatesScoreTheirOwnRowsOnly() throws {
        // Zipf-like counts: low ids frequent.
        let counts = (0..<vocabulary).map { 1000 / ($0 + 1) }
        let sampler = NegativeSampler(counts: counts, negatives: 4)
        var generator = Xoshiro256StarStar(seed: 3)
        let targets: [Int32] = [3, 20, 22, 3, 17, 9, 1]
        let candidates = sampler.candidates(for: targets, using: &generator)
        #expect(candidates.ids.count < vocabulary)
        #expect(Set(candidates.ids).count == candidates.ids.count, "candidates repeat")
        #expect(zip(targets, candidates.targetIndices).allSatisfy { candidates.ids[Int($1)] == $0 })
        // Each logit is corrected by −log P(in the set) after targets.count + negatives unigram draws.
        let corrections = try #require(candidates.logitCorrections)
        let total = Double(counts.reduce(0, +))
        for (c, id) in candidates.ids.enumerated() {
            let p = Double(counts[Int(id)]) / total
            let expected = -log(1 - pow(1 - p, Double(targets.count + 4)))
            #expect(abs(Double(corrections[c]) - expected) < 1e-5, "correction of id \(id)")
        }
        #expect(corrections[candidates.ids.firstIndex(of: 1)!] < 0.3)
        #expect(corrections[candidates.ids.firstIndex(of: 22)!] > 1)
        for backend in try TestBackends.all() {
            try check(candidates, on: backend)
        }
    }

    @Test func exactNegativeLogLikelihoodMatchesTheReference() throws {
        let backend = CPUBackend()
        var random = WeightInitializer(seed: 11)
        let outputs = random.uniform(count: rows * width, bound: 1)
        let weightValues = random.uniform(count: vocabulary * width, bound: 1)
        let biasValues = random.uniform(count: vocabulary, bound: 0.5)
        let softmax = CandidateSoftmax(
            weight: try Parameter(name: "w", shape: [vocabulary, width], values: weightValues, on: backend),
            bias: try Parameter(name: "b", shape: [vocabulary], values: biasValues, on: backend))
        let targets: [Int32] = [3, 0, 22, 3, 17, 9, 1]
        let total = try softmax.exactNegativeLogLikelihood(outputs: try backend.upload(outputs, shape: [rows, width]),
                                                           targets: targets, on: backend)
        let expected = reference(outputs: outputs, weight: weightValues, bias: biasValues,
                                 candidates: .fullVocabulary(vocabulary, targets: targets)).loss * Double(rows)
        #expect(abs(total - expected) < 1e-4 * expected)
    }
}
