import Foundation
@testable import RecurONNX
import Recur
import RecurCore
import Testing

/// The exported bytes parse back as an ONNX model with the documented signature, standard ops, and recurrent
/// weights that are recur's, gate blocks moved to ONNX's order. Needs no onnxruntime.
@Suite struct ONNXStructureTests {
    /// ONNX gate block → PyTorch gate block, spelled out (not taken from the exporter).
    static let expectedBlocks: [RecurrentCellKind: [Int]] = [
        .lstm: [0, 3, 1, 2],  // ONNX i, o, f, c ← PyTorch i(0), o(3), f(1), g(2)
        .gru: [1, 0, 2],  // ONNX z, r, h ← PyTorch z(1), r(0), n(2)
        .rnn: [0],
    ]

    @Test func signatureOpsetAndMetadata() throws {
        let backend = CPUBackend()
        let model = try SentimentClassifier(config: ONNXTestSupport.config(.gru, layers: 2, bidirectional: true, pooling: .concat),
                                            seed: 1, on: backend)
        let proto = try ONNXTestSupport.parsed(model, on: backend)
        #expect(proto.irVersion == ONNXClassifierExport.irVersion)
        #expect(proto.opsetImport.map(\.version) == [ONNXClassifierExport.opsetVersion])
        #expect(proto.opsetImport.map(\.domain) == [""])
        let labels = proto.metadataProps.first { $0.key == "labels" }?.value
        #expect(labels == #"["class0","class1","class2"]"#)

        let graph = proto.graph
        #expect(graph.input.map(\.name) == ["tokens", "lengths"])
        #expect(graph.input.map(\.type.tensorType.elemType) == [7, 7])  // int64
        #expect(graph.input[0].type.tensorType.shape.dim.map(\.dimParam) == ["batch", "steps"])
        #expect(graph.input[1].type.tensorType.shape.dim.map(\.dimParam) == ["batch"])
        #expect(graph.output.map(\.name) == ["probabilities", "logits"])
        #expect(graph.output.map(\.type.tensorType.elemType) == [1, 1])  // float
        #expect(graph.output[0].type.tensorType.shape.dim.map(\.dimValue) == [0, 3])
        #expect(graph.output[0].type.tensorType.shape.dim[0].dimParam == "batch")

        let ops = graph.node.map(\.opType)
        #expect(ops.filter { $0 == "GRU" }.count == 2)
        #expect(ops.first == "Transpose" && ops.contains("Gather") && ops.contains("Gemm") && ops.contains("Softmax"))
        #expect(ops.contains("ReduceSum") && ops.contains("ReduceMax") && ops.contains("Concat"))
        // Every value a node reads is a graph input, an initializer, or an earlier node's output.
        var known = Set(graph.input.map(\.name) + graph.initializer.map(\.name))
        for node in graph.node {
            for input in node.input where !input.isEmpty {
                #expect(known.contains(input), "\(node.name) reads \(input) before it exists")
            }
            known.formUnion(node.output)
        }
        for gru in graph.node.filter({ $0.opType == "GRU" }) {
            let attributes = Dictionary(uniqueKeysWithValues: gru.attribute.map { ($0.name, $0) })
            #expect(attributes["linear_before_reset"]?.i == 1)
            #expect(attributes["hidden_size"]?.i == 4)
            #expect(attributes["direction"].map { String(decoding: $0.s, as: UTF8.self) } == "bidirectional")
            #expect(gru.input.count == 5 && gru.input[4] == "sequence_lens")
        }
    }

    @Test(arguments: [RecurrentCellKind.lstm, .gru, .rnn])
    func recurrentWeightsAreRecursInONNXGateOrder(cell: RecurrentCellKind) throws {
        let backend = CPUBackend()
        let config = ONNXTestSupport.config(cell, layers: 2, bidirectional: true)
        let model = try SentimentClassifier(config: config, seed: 5, on: backend)
        let graph = try ONNXTestSupport.parsed(model, on: backend).graph
        let initializers = Dictionary(uniqueKeysWithValues: graph.initializer.map { ($0.name, $0) })
        let H = config.hiddenSize, G = cell.gateCount * H, blocks = Self.expectedBlocks[cell]!
        let node = try #require(graph.node.first { $0.opType == cell.rawValue.uppercased() })
        #expect(node.attribute.first { $0.name == "direction" }.map { String(decoding: $0.s, as: UTF8.self) } == "bidirectional")
        #expect(node.attribute.contains { $0.name == "linear_before_reset" } == (cell == .gru))

        for (l, directions) in model.rnn.layers.enumerated() {
            let w = try #require(initializers["rnn.W_l\(l)"]), r = try #require(initializers["rnn.R_l\(l)"])
            let b = try #require(initializers["rnn.B_l\(l)"])
            let inputSize = directions[0].inputSize
            #expect(w.dims == [2, Int64(G), Int64(inputSize)] && r.dims == [2, Int64(G), Int64(H)] && b.dims == [2, Int64(2 * G)])
            let W = ONNXTestSupport.floats(w), R = ONNXTestSupport.floats(r), B = ONNXTestSupport.floats(b)
            for (d, direction) in directions.enumerated() {
                let wih = try backend.download(direction.weightIH.value), whh = try backend.download(direction.weightHH.value)
                let bih = try backend.download(direction.biasIH.value), bhh = try backend.download(direction.biasHH.value)
                // Row block k of ONNX's matrices is row block blocks[k] of PyTorch's, for every matrix and bias.
                func torchOrder(_ values: [Float], width: Int) -> [Float] {
                    blocks.flatMap { values[($0 * H * width)..<(($0 + 1) * H * width)] }
                }
                #expect(Array(W[(d * G * inputSize)..<((d + 1) * G * inputSize)]) == torchOrder(wih, width: inputSize), "W l\(l) d\(d)")
                #expect(Array(R[(d * G * H)..<((d + 1) * G * H)]) == torchOrder(whh, width: H), "R l\(l) d\(d)")
                #expect(Array(B[(d * 2 * G)..<(d * 2 * G + G)]) == torchOrder(bih, width: 1), "Wb l\(l) d\(d)")
                #expect(Array(B[(d * 2 * G + G)..<((d + 1) * 2 * G)]) == torchOrder(bhh, width: 1), "Rb l\(l) d\(d)")
            }
        }
        let embedding = try #require(initializers["embedding.weight"])
        #expect(ONNXTestSupport.floats(embedding) == (try backend.download(model.embedding.weight.value)))
        let fc = try #require(initializers["fc.weight"])
        #expect(fc.dims == [Int64(config.classCount), Int64(config.featureSize)])
        #expect(ONNXTestSupport.floats(fc) == (try backend.download(model.fc.weight.value)))
    }

    @Test func lastPoolingNeedsNoMask() throws {
        let backend = CPUBackend()
        let model = try SentimentClassifier(config: ONNXTestSupport.config(.rnn), seed: 2, on: backend)
        let graph = try ONNXTestSupport.parsed(model, on: backend).graph
        let ops = graph.node.map(\.opType)
        #expect(ops.filter { $0 == "RNN" }.count == 1)
        #expect(!ops.contains("Less") && !ops.contains("Concat"))
        let rnn = try #require(graph.node.first { $0.opType == "RNN" })
        #expect(rnn.attribute.first { $0.name == "direction" }.map { String(decoding: $0.s, as: UTF8.self) } == "forward")
    }
}
