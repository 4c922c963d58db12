import Foundation
@testable import RecurONNX
import Recur
import RecurCore
import RecurText
import Testing

/// `recur export`'s files: the model, and the vocabulary and config a user tokenizes with, where documented;
/// a run folder that is missing or damaged is refused with its path.
@Suite struct ONNXExportFilesTests {
    /// A run folder as `recur train` leaves it, with untrained weights.
    func runFolder(pooling: Pooling = .mean) throws -> RunFolder {
        let url = FileManager.default.temporaryDirectory.appending(path: "recur-onnx-run-\(UUID().uuidString)")
        let folder = RunFolder(url.path)
        try folder.create()
        let pipeline = try TextPipeline(TextPipelineConfig())
        let vocabulary = Vocabulary.build(from: ["a fine film", "a dull film , sadly"].map { pipeline.tokens(for: $0) })
        let labels = try LabelSet(names: ["neg", "pos"])
        let config = RunConfig(
            model: ClassifierConfig(vocabularySize: vocabulary.count, embeddingDimension: 4, hiddenSize: 3,
                                    bidirectional: true, cell: .lstm, pooling: pooling),
            text: pipeline.config, labels: labels, training: TrainingOptions())
        try folder.writeConfig(config)
        try vocabulary.write(to: folder.vocabulary.path)
        let backend = CPUBackend()
        let model = try SentimentClassifier(config: config.model, seed: 4, on: backend)
        try ModelWeights.save(model.parameters, metadata: RunFolder.modelMetadata(config), to: folder.model, on: backend)
        return folder
    }

    @Test func folderAndFileTargets() throws {
        let run = try runFolder()
        defer { try? FileManager.default.removeItem(at: run.url) }
        let out = run.url.appending(path: "export")

        let intoFolder = ONNXExportFiles(out: out.path)
        #expect(intoFolder.model.lastPathComponent == "model.onnx")
        try intoFolder.write(from: run, on: CPUBackend())
        #expect(try Data(contentsOf: intoFolder.vocabulary) == Data(contentsOf: run.vocabulary))
        #expect(try Data(contentsOf: intoFolder.config) == Data(contentsOf: run.config))
        let proto = try Onnx_ModelProto(serializedBytes: try Data(contentsOf: intoFolder.model))
        #expect(proto.graph.node.contains { $0.opType == "LSTM" })
        #expect(proto.metadataProps.first { $0.key == "labels" }?.value == #"["neg","pos"]"#)
        #expect(proto.metadataProps.first { $0.key == "cell" }?.value == "lstm")
        #expect(!proto.metadataProps.contains { $0.key == "gate_order" })  // the run's gate order is PyTorch's

        let asFile = ONNXExportFiles(out: out.appending(path: "named/mr.onnx").path)
        try asFile.write(from: run, on: CPUBackend())
        #expect(asFile.model.lastPathComponent == "mr.onnx")
        #expect(asFile.vocabulary.deletingLastPathComponent() == asFile.model.deletingLastPathComponent())
        #expect(FileManager.default.fileExists(atPath: asFile.config.path))

        // Exporting into the run folder itself leaves its vocabulary and config as they were.
        let before = try Data(contentsOf: run.config)
        try ONNXExportFiles(out: run.url.path).write(from: run, on: CPUBackend())
        #expect(try Data(contentsOf: run.config) == before)
    }

    @Test func missingOrDamagedRunsAreRefusedWithTheirPath() throws {
        let run = try runFolder()
        defer { try? FileManager.default.removeItem(at: run.url) }
        let out = run.url.appending(path: "export").path

        try Data("not safetensors".utf8).write(to: run.model)
        let damaged = #expect(throws: SafeTensorsError.self) { try ONNXExportFiles(out: out).write(from: run, on: CPUBackend()) }
        #expect(damaged?.description.contains(run.model.path) == true)

        let missing = RunFolder(run.url.appending(path: "no-such-run").path)
        let error = #expect(throws: RunFolderError.self) { try ONNXExportFiles(out: out).write(from: missing, on: CPUBackend()) }
        #expect(error?.description.contains(missing.url.path) == true)
        #expect(!FileManager.default.fileExists(atPath: ONNXExportFiles(out: out).model.path))
    }
}
