import Foundation
import Recur
import RecurCore
import SwiftProtobuf

/// A `SentimentClassifier` as a standard ONNX model that onnxruntime (or any ONNX runtime) runs without
/// custom ops: Gather → one LSTM / GRU / RNN node per layer → pooling → Gemm → Softmax.
///
/// Signature (batch-major, dynamic batch and steps):
/// - `tokens` int64 `[batch, steps]`: token ids from the run's `vocab.txt`, padded after each text's end with any
///   valid id (`<pad>` = 0 is usual; padded positions are never read).
/// - `lengths` int64 `[batch]`: each text's token count, 1...steps.
/// - `probabilities` float `[batch, classes]` (softmax), `logits` float `[batch, classes]`, classes in label order.
public enum ONNXClassifierExport {
    /// Opset 18 takes every Reduce op's axes as an input; onnxruntime has run it since 1.14.
    public static let opsetVersion: Int64 = 18
    /// The IR version that goes with opset 18 (onnx 1.13).
    public static let irVersion: Int64 = 8

    public static let tokensInput = "tokens"
    public static let lengthsInput = "lengths"
    public static let probabilitiesOutput = "probabilities"
    public static let logitsOutput = "logits"

    /// The serialized model. `labels` name the classes (in the model's order); `metadata` goes into the
    /// model's metadata_props beside them.
    public static func serializedModel(_ model: SentimentClassifier, labels: [String], metadata: [String: String] = [:],
                                       on backend: Backend) throws -> Data {
        try modelProto(model, labels: labels, metadata: metadata, on: backend).serializedData()
    }

    static func modelProto(_ model: SentimentClassifier, labels: [String], metadata: [String: String],
                           on backend: Backend) throws -> Onnx_ModelProto {
        let config = model.config
        guard config.encoder == .recurrent else {
            throw ONNXExportError(description: "a bag model has no recurrent layers to export; only recurrent classifiers export to ONNX for now")
        }
        guard config.head == .linear else {
            throw ONNXExportError(description: "the ULMFiT BatchNorm head (--head ulmfit) does not export to ONNX yet; train with --head linear to export")
        }
        guard labels.count == config.classCount else {  // a hand-edited config.json, say
            throw ONNXExportError(description: "\(labels.count) labels for a model with \(config.classCount) classes")
        }
        func values(_ parameter: Parameter) throws -> [Float] { try backend.download(parameter.value) }

        var graph = GraphBuilder(name: "recur_classifier")
        let batch = GraphBuilder.Dimension.dynamic("batch"), steps = GraphBuilder.Dimension.dynamic("steps")
        graph.input(tokensInput, .int64, [batch, steps],
                    doc: "token ids from vocab.txt, batch-major; positions at or past a text's length are never read")
        graph.input(lengthsInput, .int64, [batch], doc: "tokens per text, 1...steps")

        // recur's recurrent layers are time-major, as ONNX's LSTM/GRU/RNN (layout 0).
        let timeMajor = graph.node("Transpose", [tokensInput], output: "tokens_tb", attributes: [Attribute.ints("perm", [1, 0])])
        let embeddingTable = graph.initializer(model.embedding.weight.name, floats: try values(model.embedding.weight),
                                               shape: model.embedding.weight.shape)
        var x = graph.node("Gather", [embeddingTable, timeMajor], output: "embedded", attributes: [Attribute.int("axis", 0)])
        let sequenceLengths = graph.node("Cast", [lengthsInput], output: "sequence_lens", attributes: [Attribute.to(.int32)])

        var top: (output: String, finalHidden: String)!
        for (l, directions) in model.rnn.layers.enumerated() {
            if l > 0 { x = graph.layerInput(fromOutput: top.output, layer: l - 1) }
            top = try graph.recurrentLayer(directions, layer: l, input: x, sequenceLengths: sequenceLengths, weights: values)
        }

        let pieces = config.pooling.pieces
        let mask = pieces.contains(where: { $0 != .last })
            ? graph.stepMask(lengths: lengthsInput, timeMajorTokens: timeMajor) : nil
        let features = pieces.map { graph.pooled($0, output: top.output, finalHidden: top.finalHidden, mask: mask) }
        let joined = features.count == 1 ? features[0]
            : graph.node("Concat", features, output: "features", attributes: [Attribute.int("axis", 1)])

        let weight = graph.initializer(model.fc.weight.name, floats: try values(model.fc.weight), shape: model.fc.weight.shape)
        let bias = graph.initializer(model.fc.bias.name, floats: try values(model.fc.bias), shape: model.fc.bias.shape)
        let logits = graph.node("Gemm", [joined, weight, bias], output: "fc", attributes: [Attribute.int("transB", 1)])
        let probabilities = graph.node("Softmax", [logits], output: "softmax", attributes: [Attribute.int("axis", 1)])
        let classes = GraphBuilder.Dimension.fixed(config.classCount)
        graph.output(probabilities, as: probabilitiesOutput, .float, [batch, classes],
                     doc: "class probabilities, labels in metadata 'labels'")
        graph.output(logits, as: logitsOutput, .float, [batch, classes], doc: "pre-softmax scores")

        var proto = Onnx_ModelProto()
        proto.irVersion = irVersion
        proto.producerName = "recur"
        proto.domain = "recur"
        proto.docString = "Recur sentiment classifier (\(config.cell.rawValue), \(config.layers) layer(s), "
            + "\(config.bidirectional ? "bidirectional" : "forward"), \(config.pooling.rawValue) pooling). "
            + "Inputs: tokens int64 [batch, steps], lengths int64 [batch]; tokenize with vocab.txt and the text part of config.json."
        var opset = Onnx_OperatorSetIdProto()
        opset.domain = ""
        opset.version = opsetVersion
        proto.opsetImport = [opset]
        let labelsJSON = String(decoding: try JSONSerialization.data(withJSONObject: labels), as: UTF8.self)
        proto.metadataProps = metadata.merging(["labels": labelsJSON]) { _, new in new }
            .sorted { $0.key < $1.key }
            .map { key, value in
                var entry = Onnx_StringStringEntryProto()
                entry.key = key
                entry.value = value
                return entry
            }
        proto.graph = graph.graph
        return proto
    }
}

public struct ONNXExportError: Error, CustomStringConvertible {
    public let description: String
}
