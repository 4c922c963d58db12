import Foundation
import Recur
import RecurCore
import Testing

/// The bag model (`--model bag`): pooled embeddings into the head, with no recurrent layers, checked on every
/// backend against finite differences, and the CPU and OpenCL backends against each other.
struct BagClassifierTests {
    let tokens: [Int32] = [2, 3, 4, 5, 6, 7, 8, 9, 2, 4, 3, 0]  // [T = 4, B = 3]; the last sequence is 3 long
    let lengths: [Int32] = [4, 4, 3]
    let targets: [Int32] = [1, 0, 2]

    func model(pooling: Pooling, on backend: Backend) throws -> SentimentClassifier {
        let config = ClassifierConfig(encoder: .bag, vocabularySize: 10, embeddingDimension: 6, pooling: pooling,
                                      classCount: 3, embeddingDropout: 0.2, featureDropout: 0.2)
        return try SentimentClassifier(config: config, seed: 3, on: backend)
    }

    func loss(_ model: SentimentClassifier, _ crossEntropy: CrossEntropyLoss, backward: Bool, on backend: Backend) throws -> Double {
        let logits = try model.forward(tokens: try backend.upload(tokens, shape: [4, 3]),
                                       lengths: try backend.upload(lengths, shape: [3]), dropoutSeed: 17, on: backend)
        let value = try crossEntropy.forward(logits: logits, targets: try backend.upload(targets, shape: [3]),
                                             hostTargets: targets, on: backend)
        if backward { try model.backward(dLogits: try crossEntropy.backward(on: backend), on: backend) }
        return Double(try backend.download(value)[0])
    }

    @Test(arguments: [Pooling.mean, .max])
    func gradientsMatchFiniteDifferences(pooling: Pooling) throws {
        for backend in try TestBackends.all() {
            let model = try model(pooling: pooling, on: backend)
            #expect(model.parameters.map(\.name) == ["embedding.weight", "fc.weight", "fc.bias"])
            let crossEntropy = try CrossEntropyLoss(on: backend)
            try model.zeroGradients(on: backend)
            _ = try loss(model, crossEntropy, backward: true, on: backend)
            try expectGradientsMatchFiniteDifferences(model.parameters, largest: 4, on: backend, "\(backend.name) \(pooling)") {
                try loss(model, crossEntropy, backward: false, on: backend)
            }
        }
    }

    @Test func backendsAgree() throws {
        var results: [(String, [Float], [Float])] = []
        for backend in try TestBackends.all() {
            let model = try model(pooling: .max, on: backend)
            try model.zeroGradients(on: backend)
            let crossEntropy = try CrossEntropyLoss(on: backend)
            _ = try loss(model, crossEntropy, backward: true, on: backend)
            let logits = try model.forward(tokens: try backend.upload(tokens, shape: [4, 3]),
                                           lengths: try backend.upload(lengths, shape: [3]), on: backend)
            results.append((backend.name, try backend.download(logits), try backend.download(model.embedding.weight.gradient)))
        }
        for (name, logits, gradient) in results.dropFirst() {
            expectClose(logits, results[0].1, "\(name) logits")
            expectClose(gradient, results[0].2, "\(name) embedding gradient")
        }
    }

    /// A bag has no last state, and configs saved before bags existed decode as recurrent.
    @Test func lastPoolingIsRefusedAndOldConfigsAreRecurrent() throws {
        #expect(throws: ClassifierConfigError.self) {
            try SentimentClassifier(config: ClassifierConfig(encoder: .bag, vocabularySize: 5, pooling: .concat),
                                    seed: 1, on: CPUBackend())
        }
        var json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(ClassifierConfig(vocabularySize: 5))) as! [String: Any]
        json["encoder"] = nil
        let decoded = try JSONDecoder().decode(ClassifierConfig.self, from: JSONSerialization.data(withJSONObject: json))
        #expect(decoded.encoder == .recurrent)
        #expect(ClassifierConfig(encoder: .bag, vocabularySize: 5, embeddingDimension: 8, hiddenSize: 99, pooling: .mean).featureSize == 8)
    }
}
