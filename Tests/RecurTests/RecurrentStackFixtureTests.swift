import Recur
import RecurCore
import Testing

/// `torch.nn.LSTM` / `GRU` golden values (padded and packed, stacked and bidirectional): outputs, final
/// states, and gradients of every weight, the input and the initial states, on every backend.
@Suite struct RecurrentStackFixtureTests {
    static let fixtures = TorchFixture.all(schemas: ["rnn-fixture/1", "rnn-packed-fixture/1"])

    @Test(arguments: fixtures.map(\.name))
    func matchesPyTorch(_ name: String) throws {
        let fixture = try #require(Self.fixtures.first { $0.name == name })
        for backend in try TestBackends.all() {
            try check(fixture, on: backend)
        }
    }

    private func check(_ fixture: TorchFixture, on backend: Backend) throws {
        let json = fixture.json
        let config = try json.object("config")
        let B = Int(try config.number("batch")), T = Int(try config.number("seq_len"))
        let I = Int(try config.number("input_size")), H = Int(try config.number("hidden_size"))
        let L = Int(try config.number("num_layers")), D = Int(try config.number("num_directions"))
        let cell: RecurrentCellKind = (json["module"] as? String) == "GRU" ? .gru : .lstm
        let label = "\(fixture.name) on \(backend.name)"

        var initializer = WeightInitializer(seed: 0)
        let stack = try RecurrentStack(cell: cell, inputSize: I, hiddenSize: H, layers: L, bidirectional: D == 2,
                                       prefix: "", initializer: &initializer, on: backend)
        let params = try json.object("params")
        for parameter in stack.parameters {
            try backend.write(try params.tensor(parameter.name).values, to: parameter.value)
        }
        let input = try json.tensor("input")
        let x = try backend.upload(swapBatchAndTime(input.values, first: B, second: T, features: I), shape: [T, B, I])
        let lengths = try (json["lengths"] != nil ? backend.upload(try json.tensor("lengths").ints, shape: [B]) : nil)
        let g = try json.tensor("G")

        for case let testCase as [String: Any] in json["cases"] as? [Any] ?? [] {
            let caseLabel = "\(label), case \(testCase["name"] ?? "?")"
            try stack.zeroGradients(on: backend)
            let h0 = try backend.upload(try testCase.tensor("h0").values, shape: [L * D, B, H])
            let c0 = cell == .lstm ? try backend.upload(try testCase.tensor("c0").values, shape: [L * D, B, H]) : nil
            let result = try stack.forward(x, lengths: lengths, initialHidden: h0, initialCell: c0, on: backend)

            // Output [B, T, D·H]: direction halves side by side.
            let directionOutputs = try result.outputs.map { try backend.download($0) }
            var output = [Float](repeating: 0, count: B * T * D * H)
            for d in 0..<D {
                let batchFirst = swapBatchAndTime(directionOutputs[d], first: T, second: B, features: H)
                for bt in 0..<(B * T) {
                    for h in 0..<H { output[bt * D * H + d * H + h] = batchFirst[bt * H + h] }
                }
            }
            expectClose(output, try testCase.tensor("output").values, "\(caseLabel): output")
            expectClose(try result.finalHidden.flatMap { try backend.download($0) }, try testCase.tensor("h_n").values, "\(caseLabel): h_n")
            if cell == .lstm {
                expectClose(try result.finalCell!.flatMap { try backend.download($0) }, try testCase.tensor("c_n").values, "\(caseLabel): c_n")
            }

            // loss = Σ output ⊙ G, so dOutput = G, split by direction.
            let dOutputs: [Tensor?] = try (0..<D).map { d in
                var half = [Float](repeating: 0, count: B * T * H)
                for bt in 0..<(B * T) {
                    for h in 0..<H { half[bt * H + h] = g.values[bt * D * H + d * H + h] }
                }
                return try backend.upload(swapBatchAndTime(half, first: B, second: T, features: H), shape: [T, B, H])
            }
            let dInput = try backend.zeros([T, B, I], dtype: .float32)
            let gradients = try stack.backward(dOutputs: dOutputs, dInput: dInput, on: backend)

            let grads = try testCase.object("grads")
            expectClose(swapBatchAndTime(try backend.download(dInput), first: T, second: B, features: I),
                        try grads.tensor("input").values, "\(caseLabel): d input")
            expectClose(try gradients.initialHidden.flatMap { try backend.download($0!) }, try grads.tensor("h0").values, "\(caseLabel): d h0")
            if cell == .lstm {
                expectClose(try gradients.initialCell!.flatMap { try backend.download($0!) }, try grads.tensor("c0").values, "\(caseLabel): d c0")
            }
            for parameter in stack.parameters {
                expectClose(try backend.download(parameter.gradient), try grads.tensor(parameter.name).values,
                            "\(caseLabel): d \(parameter.name)")
            }
        }
    }
}
