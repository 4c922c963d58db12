import Recur
import RecurCore
import Testing

/// Whole-model PyTorch golden values: Embedding → (Bi)LSTM → pooling → Linear → cross-entropy, with the
/// logits, loss, every gradient, and the parameters after Adam, SGD with momentum, AdamW and clip + SGD steps.
@Suite struct ClassifierFixtureTests {
    static let fixtures = TorchFixture.all(schemas: ["rnn-classifier-fixture/1", "rnn-classifier-pooling-fixture/1"])

    @Test(arguments: fixtures.map(\.name))
    func matchesPyTorch(_ name: String) throws {
        let fixture = try #require(Self.fixtures.first { $0.name == name })
        for backend in try TestBackends.all() {
            let run = try FixtureRun(fixture, on: backend)
            try run.checkForwardAndGradients()
            for (key, optimizer, clip) in try run.optimizerBlocks() {
                try run.checkSteps(key, optimizer: optimizer, clipNorm: clip)
            }
        }
    }
}

/// One classifier fixture bound to one backend.
private struct FixtureRun {
    let fixture: TorchFixture
    let backend: Backend
    let B: Int, T: Int
    let config: ClassifierConfig
    let classWeights: [Float]?
    let tokens: Tensor
    let hostTargets: [Int32]
    let targets: Tensor
    let lengths: Tensor?
    var label: String { "\(fixture.name) on \(backend.name)" }

    init(_ fixture: TorchFixture, on backend: Backend) throws {
        self.fixture = fixture
        self.backend = backend
        let json = fixture.json
        let fixtureConfig = try json.object("config")
        B = Int(try fixtureConfig.number("batch"))
        T = Int(try fixtureConfig.number("seq_len"))
        let directions = Int((fixtureConfig["num_directions"] as? Int) ?? 1)
        let isPooling = fixture.schema == "rnn-classifier-pooling-fixture/1"
        config = ClassifierConfig(
            vocabularySize: Int(try fixtureConfig.number("vocab")),
            embeddingDimension: Int(try fixtureConfig.number("embed_dim")),
            hiddenSize: Int(try fixtureConfig.number("hidden_size")),
            layers: 1, bidirectional: directions == 2, cell: .lstm,
            pooling: isPooling ? .concat : .last,
            classCount: Int(try fixtureConfig.number("num_classes")),
            paddingIndex: (fixtureConfig["padding_idx"] as? Int).map { Int32($0) })
        classWeights = (fixtureConfig["class_weights"] as? [Double])?.map { Float($0) }
        let tokenTensor = try json.tensor("tokens")
        tokens = try backend.upload(swapBatchAndTime(tokenTensor.values, first: B, second: T, features: 1).map { Int32($0) },
                                    shape: [T, B])
        hostTargets = try json.tensor("targets").ints
        targets = try backend.upload(hostTargets, shape: [B])
        lengths = json["lengths"] != nil ? try backend.upload(try json.tensor("lengths").ints, shape: [B]) : nil
    }

    /// PyTorch's name for one of our parameters (the fixtures call the embedding `emb`).
    func torchName(_ name: String) -> String {
        name.replacingOccurrences(of: "embedding.", with: "emb.")
    }

    func makeModel() throws -> SentimentClassifier {
        let model = try SentimentClassifier(config: config, seed: 0, on: backend)
        let params = try fixture.json.object("params")
        for parameter in model.parameters {
            try backend.write(try params.tensor(torchName(parameter.name)).values, to: parameter.value)
        }
        return model
    }

    /// Forward, loss and backward on the fixture batch; returns the loss.
    func lossAndGradients(_ model: SentimentClassifier, _ loss: CrossEntropyLoss) throws -> (Float, [Float]) {
        try model.zeroGradients(on: backend)
        let logits = try model.forward(tokens: tokens, lengths: lengths, on: backend)
        let value = try backend.download(try loss.forward(logits: logits, targets: targets, hostTargets: hostTargets, on: backend))[0]
        try model.backward(dLogits: try loss.backward(on: backend), on: backend)
        return (value, try backend.download(logits))
    }

    func checkForwardAndGradients() throws {
        let model = try makeModel()
        let loss = try CrossEntropyLoss(classWeights: classWeights, on: backend)
        let (value, logits) = try lossAndGradients(model, loss)
        let json = fixture.json
        expectClose(logits, try json.tensor("logits").values, "\(label): logits")
        expectClose([value], [Float(try json.number("loss"))], "\(label): loss")
        // Inference from an input projection table gives PyTorch's logits too.
        let table = try InputProjectionTable(embedding: model.embedding, firstLayer: model.rnn.layers[0], on: backend)
        let tableLogits = try model.forward(tokens: tokens, lengths: lengths, inputTable: table, on: backend)
        expectClose(try backend.download(tableLogits), try json.tensor("logits").values, "\(label): logits from the input table")
        let grads = try json.object("grads")
        for parameter in model.parameters {
            expectClose(try backend.download(parameter.gradient), try grads.tensor(torchName(parameter.name)).values,
                        "\(label): d \(parameter.name)")
        }
    }

    /// The optimizer blocks this fixture holds, as (key, optimizer, clip norm).
    func optimizerBlocks() throws -> [(String, OptimizerKind, Float?)] {
        var blocks: [(String, OptimizerKind, Float?)] = []
        let json = fixture.json
        if let adam = json["adam"] as? [String: Any] {
            blocks.append(("adam", .adam(AdamHyper(learningRate: Float(try adam.number("lr")))), nil))
        }
        if let sgd = json["sgd_momentum"] as? [String: Any] {
            blocks.append(("sgd_momentum", .sgd(SGDHyper(learningRate: Float(try sgd.number("lr")),
                                                         momentum: Float(try sgd.number("momentum")))), nil))
        }
        if let adamw = json["adamw"] as? [String: Any] {
            blocks.append(("adamw", .adam(AdamHyper(learningRate: Float(try adamw.number("lr")),
                                                    weightDecay: Float(try adamw.number("weight_decay")),
                                                    decoupledWeightDecay: true)), nil))
        }
        for key in ["clip_sgd", "clip_sgd_tight"] {
            if let block = json[key] as? [String: Any] {
                blocks.append((key, .sgd(SGDHyper(learningRate: Float(try block.number("lr")))), Float(try block.number("max_norm"))))
            }
        }
        return blocks
    }

    /// Runs the block's steps (`step1`, `step2`, ...) from the fixture's initial parameters.
    func checkSteps(_ key: String, optimizer kind: OptimizerKind, clipNorm: Float?) throws {
        let block = try fixture.json.object(key)
        let model = try makeModel()
        let loss = try CrossEntropyLoss(classWeights: classWeights, on: backend)
        let optimizer = Optimizer(kind)
        var step = 1
        while let stepBlock = block["step\(step)"] as? [String: Any] {
            let (value, _) = try lossAndGradients(model, loss)
            expectClose([value], [Float(try stepBlock.number("loss_before_step"))], "\(label): \(key) step \(step) loss")
            if let clipNorm {
                let normSquared = try backend.download(try clipGradientNorm(model.parameters, maxNorm: clipNorm, on: backend))[0]
                expectClose([normSquared.squareRoot()], [Float(try stepBlock.number("total_norm_before_clip"))],
                            "\(label): \(key) gradient norm")
            }
            try optimizer.step(model.parameters, on: backend)
            let after = try stepBlock.object("params_after")
            for parameter in model.parameters {
                expectClose(try backend.download(parameter.value), try after.tensor(torchName(parameter.name)).values,
                            "\(label): \(key) step \(step) \(parameter.name)")
            }
            step += 1
        }
        #expect(step > 1, "\(label): \(key) has no steps")
    }
}
