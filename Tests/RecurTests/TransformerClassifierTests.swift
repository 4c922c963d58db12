import Foundation
import Recur
import RecurCore
import Testing

/// The BERT classifier against `transformers` (`Fixtures/bert_tiny.json`, from scripts/make_bert_fixture.py: a
/// random 2-layer BertForSequenceClassification, eval mode, three padded texts) on every backend: logits, loss
/// and every parameter's gradient, with the [CLS] pooler and with mean pooling; and against finite differences.
struct TransformerClassifierTests {
    let fixture: [String: Any]
    let bert: BertConfig
    let tokens: [[Int32]]
    let lengths: [Int32]
    let labels: [Int32]

    init() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appending(path: "Fixtures/bert_tiny.json")
        fixture = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        var config = try JSONDecoder().decode(BertConfig.self, from: JSONSerialization.data(withJSONObject: fixture["config"]!))
        (config.hiddenDropout, config.attentionDropout) = (0, 0)  // the fixture ran in eval mode
        bert = config
        tokens = (fixture["tokens"] as! [[Int]]).map { $0.map(Int32.init) }
        lengths = (fixture["lengths"] as! [Int]).map(Int32.init)
        labels = (fixture["labels"] as! [Int]).map(Int32.init)
    }

    private func floats(_ value: Any?) -> [Float] {
        func flatten(_ value: Any?) -> [Float] {
            if let number = value as? NSNumber { return [Float(number.doubleValue)] }
            if let list = value as? [Any] { return list.flatMap(flatten) }
            if let tensor = value as? [String: Any] { return flatten(tensor["values"]) }
            return []
        }
        return flatten(value)
    }

    /// A classifier holding the fixture's weights, and the time-major token and length tensors.
    private func model(_ pooling: TransformerPooling, on backend: Backend) throws -> (TransformerClassifier, Tensor, Tensor) {
        let model = try TransformerClassifier(config: TransformerClassifierConfig(bert: bert, pooling: pooling, classCount: 3),
                                              seed: 1, on: backend)
        let parameters = fixture["parameters"] as! [String: Any]
        for parameter in model.parameters {
            let values = floats(parameters[parameter.name])
            #expect(values.count == parameter.value.count, "\(parameter.name) is missing from the fixture")
            try backend.write(values, to: parameter.value)
        }
        let (batch, steps) = (tokens.count, tokens[0].count)
        let timeMajor = (0..<steps).flatMap { t in (0..<batch).map { tokens[$0][t] } }
        return (model, try backend.upload(timeMajor, shape: [steps, batch]), try backend.upload(lengths, shape: [batch]))
    }

    @Test(arguments: [TransformerPooling.cls, .mean])
    func matchesTransformers(pooling: TransformerPooling) throws {
        let expected = fixture[pooling.rawValue] as! [String: Any]
        let grads = expected["grads"] as! [String: Any]
        for backend in try TestBackends.all() {
            let (model, tokenTensor, lengthTensor) = try model(pooling, on: backend)
            let logits = try model.forward(tokens: tokenTensor, lengths: lengthTensor, on: backend)
            expectClose(try backend.download(logits), floats(expected["logits"]), "\(backend.name) \(pooling) logits", absolute: 2e-5)
            let loss = try CrossEntropyLoss(on: backend)
            let value = try loss.forward(logits: logits, targets: try backend.upload(labels, shape: [labels.count]),
                                         hostTargets: labels, on: backend)
            #expect(abs(Double(try backend.download(value)[0]) - (expected["loss"] as! Double)) < 2e-5)
            try model.backward(dLogits: try loss.backward(on: backend), on: backend)
            #expect(Set(model.parameters.map(\.name)) == Set(grads.keys))
            for parameter in model.parameters {
                // Key-bias gradients are 0 in exact arithmetic (softmax ignores a shift): absolute tolerance.
                expectClose(try backend.download(parameter.gradient), floats(grads[parameter.name]),
                            "\(backend.name) \(pooling) \(parameter.name) gradient", absolute: 2e-5, relative: 1e-3)
            }
        }
    }

    @Test(arguments: [TransformerPooling.cls, .mean])
    func gradientsMatchFiniteDifferences(pooling: TransformerPooling) throws {
        let backend = CPUBackend()
        let (model, tokenTensor, lengthTensor) = try model(pooling, on: backend)
        let loss = try CrossEntropyLoss(on: backend)
        let targets = try backend.upload(labels, shape: [labels.count])
        func value(backward: Bool) throws -> Double {
            let logits = try model.forward(tokens: tokenTensor, lengths: lengthTensor, on: backend)
            let result = Double(try backend.download(try loss.forward(logits: logits, targets: targets, hostTargets: labels, on: backend))[0])
            if backward { try model.backward(dLogits: try loss.backward(on: backend), on: backend) }
            return result
        }
        try model.zeroGradients(on: backend)
        _ = try value(backward: true)
        let checked = model.parameters.filter { name in
            ["word_embeddings", "position_embeddings", "layer.0.attention.self.query.weight", "layer.0.attention.self.value.weight",
             "layer.0.attention.output.LayerNorm", "layer.1.intermediate.dense.weight", "layer.1.output.dense.bias",
             "pooler.dense.weight", "classifier.weight"].contains { name.name.contains($0) }
        }
        try expectGradientsMatchFiniteDifferences(checked, largest: 3, step: 1e-2, on: backend, "bert \(pooling)") {
            try value(backward: false)
        }
    }

    /// Padding must not leak: a text's logits are the same alone as in a padded batch, on every backend.
    @Test func paddingDoesNotChangeLogits() throws {
        for backend in try TestBackends.all() {
            let (model, tokenTensor, lengthTensor) = try model(.mean, on: backend)
            let batched = try backend.download(try model.forward(tokens: tokenTensor, lengths: lengthTensor, on: backend))
            let short = Array(tokens[2].prefix(Int(lengths[2])))
            let alone = try backend.download(try model.forward(
                tokens: try backend.upload(short, shape: [short.count, 1]), lengths: try backend.upload([lengths[2]], shape: [1]),
                on: backend))
            expectClose(alone, Array(batched[6..<9]), "\(backend.name) text 3 alone vs padded", absolute: 1e-5)
        }
    }
}
