import Foundation
import Recur
import RecurCore
import Testing

/// ULMFiT's BatchNorm head against PyTorch (`Fixtures/ulmfit_head.json`, from scripts/make_batchnorm_fixture.py)
/// on every backend: training-mode logits, loss and gradients, running statistics after two passes, eval-mode
/// logits from them. The features arrive as two blocks, as pooling hands them over.
struct ULMFiTHeadTests {
    let fixture: [String: Any]

    init() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appending(path: "Fixtures/ulmfit_head.json")
        fixture = try TorchFixture(url: url).json
    }

    @Test func matchesPyTorch() throws {
        let config = try fixture.object("config")
        let (batch, features, hidden, classes) = (config["batch"] as! Int, config["features"] as! Int, config["hidden"] as! Int,
                                                  config["classes"] as! Int)
        let params = try fixture.object("params"), grads = try fixture.object("grads"), running = try fixture.object("running")
        for backend in try TestBackends.all() {
            var initializer = WeightInitializer(seed: 1)
            let head = try ULMFiTHead(features: features, hiddenSize: hidden, inputDropout: 0, hiddenDropout: 0,
                                      initializer: &initializer, on: backend)
            let fc = try Linear(prefix: "fc.", inputSize: hidden, outputSize: classes, initializer: &initializer, on: backend)
            let learned = (head.parameters + fc.parameters).filter { !$0.isBuffer }
            #expect(Set(learned.map(\.name)) == Set(params.keys))
            for parameter in learned { try backend.write(try params.tensor(parameter.name).values, to: parameter.value) }

            func blocks(_ key: String) throws -> [Tensor] {
                let x = try fixture.tensor(key).values
                let split = 4  // columns 0..<4 and 4..<6
                let left = (0..<batch).flatMap { r in x[(r * features)..<(r * features + split)] }
                let right = (0..<batch).flatMap { r in x[(r * features + split)..<((r + 1) * features)] }
                return [try backend.upload(left, shape: [batch, split]), try backend.upload(right, shape: [batch, features - split])]
            }
            let targets = try fixture.tensor("targets").ints
            let crossEntropy = try CrossEntropyLoss(on: backend)
            let input = try blocks("input")
            let logits = try fc.forward([try head.forward(input, dropoutSeed: 1, on: backend)], on: backend)
            expectClose(try backend.download(logits), try fixture.tensor("logits").values, "\(backend.name) logits")
            let loss = try crossEntropy.forward(logits: logits, targets: try backend.upload(targets, shape: [batch]),
                                                hostTargets: targets, on: backend)
            #expect(abs(Double(try backend.download(loss)[0]) - (try fixture.number("loss"))) < 1e-5)
            let dInput = try head.backward(try fc.backward(try crossEntropy.backward(on: backend), on: backend)[0], on: backend)
            for parameter in learned {
                expectClose(try backend.download(parameter.gradient), try grads.tensor(parameter.name).values,
                            "\(backend.name) \(parameter.name) gradient")
            }
            let dx = try fixture.tensor("d_input").values
            let left = try backend.download(dInput[0]), right = try backend.download(dInput[1])
            var joined: [Float] = []
            for r in 0..<batch {
                joined += left[(r * 4)..<(r * 4 + 4)]
                joined += right[(r * 2)..<(r * 2 + 2)]
            }
            expectClose(joined, dx, "\(backend.name) input gradient")

            _ = try head.forward(try blocks("second_input"), dropoutSeed: 2, on: backend)
            for buffer in head.parameters where buffer.isBuffer {
                #expect(!buffer.isTrainable)
                expectClose(try backend.download(buffer.value), try running.tensor(buffer.name).values, "\(backend.name) \(buffer.name)")
            }
            let evalLogits = try fc.forward([try head.forward(input, dropoutSeed: nil, on: backend)], on: backend)
            expectClose(try backend.download(evalLogits), try fixture.tensor("eval_logits").values, "\(backend.name) eval logits")
        }
    }

    /// The head's running statistics are saved with the model and come back; old configs decode with a linear head.
    @Test func runningStatisticsAreSavedAndOldConfigsHaveALinearHead() throws {
        let backend = CPUBackend()
        let config = ClassifierConfig(vocabularySize: 10, embeddingDimension: 4, hiddenSize: 5, pooling: .concat, head: .ulmfit)
        let model = try SentimentClassifier(config: config, seed: 1, on: backend)
        #expect(model.parameters.map(\.name).contains("head.0.running_var"))
        #expect(model.fc.inputSize == 50)
        let tokens = try backend.upload([2, 3, 4, 5, 6, 7] as [Int32], shape: [3, 2])
        _ = try model.forward(tokens: tokens, lengths: nil, dropoutSeed: 3, on: backend)
        let file = FileManager.default.temporaryDirectory.appending(path: "recur-ulmfit-head-\(UUID()).safetensors")
        defer { try? FileManager.default.removeItem(at: file) }
        try ModelWeights.save(model.parameters, metadata: [:], to: file, on: backend)
        let copy = try SentimentClassifier(config: config, seed: 2, on: backend)
        try ModelWeights.load(into: copy.parameters, from: file, on: backend)
        let moved = try backend.download(model.head!.inputNorm.runningMean.value)
        #expect(moved.contains { $0 != 0 })
        #expect(try backend.download(copy.head!.inputNorm.runningMean.value) == moved)

        var json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(ClassifierConfig(vocabularySize: 5))) as! [String: Any]
        json["head"] = nil
        #expect(try JSONDecoder().decode(ClassifierConfig.self, from: JSONSerialization.data(withJSONObject: json)).head == .linear)
    }
}
