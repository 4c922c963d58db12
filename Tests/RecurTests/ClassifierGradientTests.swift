import Foundation
import Recur
import RecurCore
import Testing

/// The classifier's backward pass with every training-time dropout on (weight drop included) against central
/// finite differences of the same seeded loss.
struct ClassifierGradientTests {
    let backend = CPUBackend()
    let tokens: [Int32] = [2, 3, 4, 5, 6, 7, 8, 9, 2, 4, 3, 0]  // [T = 4, B = 3]; the last sequence is 3 long
    let lengths: [Int32] = [4, 4, 3]
    let targets: [Int32] = [1, 0, 2]
    let seed: UInt64 = 17

    func model(cell: RecurrentCellKind, head: ClassifierHeadKind = .linear) throws -> SentimentClassifier {
        let config = ClassifierConfig(vocabularySize: 10, embeddingDimension: 4, hiddenSize: 5, layers: 2,
                                      bidirectional: true, cell: cell, pooling: .concat, classCount: 3,
                                      embeddingDropout: 0.2, interLayerDropout: 0.2, featureDropout: 0.2,
                                      weightDropout: 0.4, head: head, headHidden: 6, headDropout: 0.1)
        return try SentimentClassifier(config: config, seed: 3, on: backend)
    }

    func loss(_ model: SentimentClassifier, _ crossEntropy: CrossEntropyLoss, backward: Bool) throws -> Double {
        let logits = try model.forward(tokens: try backend.upload(tokens, shape: [4, 3]),
                                       lengths: try backend.upload(lengths, shape: [3]), dropoutSeed: seed, on: backend)
        let value = try crossEntropy.forward(logits: logits, targets: try backend.upload(targets, shape: [3]),
                                             hostTargets: targets, on: backend)
        // Backward also puts the raw recurrent weights back, so it runs for the finite differences too.
        let dLogits = try crossEntropy.backward(on: backend)
        if !backward { try backend.fill(dLogits, with: 0) }
        try model.backward(dLogits: dLogits, on: backend)
        return Double(try backend.download(value)[0])
    }

    @Test(arguments: [(RecurrentCellKind.lstm, ClassifierHeadKind.linear), (.gru, .linear), (.lstm, .ulmfit)])
    func gradientsMatchFiniteDifferences(cell: RecurrentCellKind, head: ClassifierHeadKind) throws {
        let model = try model(cell: cell, head: head)
        let crossEntropy = try CrossEntropyLoss(on: backend)
        try model.zeroGradients(on: backend)
        _ = try loss(model, crossEntropy, backward: true)
        try expectGradientsMatchFiniteDifferences(model.parameters, largest: 3, step: head == .ulmfit || cell == .gru ? 1e-3 : 1e-2, on: backend, "\(cell) \(head)") {
            try loss(model, crossEntropy, backward: false)
        }
    }

    /// Weight drop masks W_hh for one step only: after backward the raw weights are back, bit for bit, and
    /// a dropped connection gets no gradient.
    @Test func weightDropRestoresTheRawWeights() throws {
        let model = try model(cell: .lstm)
        let hiddenToHidden = model.rnn.layers.flatMap { $0.map(\.weightHH) }
        let before = try hiddenToHidden.map { try backend.download($0.value) }
        try model.zeroGradients(on: backend)
        _ = try loss(model, try CrossEntropyLoss(on: backend), backward: true)
        for (parameter, raw) in zip(hiddenToHidden, before) {
            #expect(try backend.download(parameter.value).map(\.bitPattern) == raw.map(\.bitPattern), "\(parameter.name)")
            let gradient = try backend.download(parameter.gradient)
            let zeros = gradient.filter { $0 == 0 }.count
            // p = 0.4 over 100 weights: about 40 dropped (the binomial's 3 sigma is 15).
            #expect((25...55).contains(zeros), "\(parameter.name): \(zeros) of \(gradient.count) gradient entries are zero")
        }
    }

    /// Models saved before weight drop existed decode with it off.
    @Test func configWithoutWeightDropoutDecodes() throws {
        var json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(ClassifierConfig(vocabularySize: 5))) as! [String: Any]
        json["weightDropout"] = nil
        let decoded = try JSONDecoder().decode(ClassifierConfig.self, from: JSONSerialization.data(withJSONObject: json))
        #expect(decoded == ClassifierConfig(vocabularySize: 5))
    }
}
