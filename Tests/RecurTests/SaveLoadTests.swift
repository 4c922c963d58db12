import Foundation
import Recur
import RecurCore
import RecurText
import Testing

/// A saved model predicts exactly what the model that saved it predicted, and a damaged file is refused
/// with a message naming it.
@Suite struct SaveLoadTests {
    static let texts = ["great movie , loved it", "terrible plot", "not bad at all", "boring boring boring", "x"]

    func trainedRun(on backend: Backend) throws -> (RunFolder, SentimentClassifier, Vocabulary, TextPipeline) {
        let pipeline = try TextPipeline(TextPipelineConfig())
        let examples = Self.texts.enumerated().map {
            LabeledExample(text: $1, label: $0 % 2 == 0 ? "pos" : "neg", source: TextLocation(file: "memory", line: $0 + 1))
        }
        let labels = LabelSet(inferringFrom: examples)
        let tokenized = try pipeline.tokenize(examples)
        let vocabulary = Vocabulary.build(from: tokenized.tokens)
        let data = try pipeline.encode(tokenized, vocabulary: vocabulary, labels: labels)
        var options = TrainingOptions()
        options.epochs = 2
        options.batchSize = 2
        let config = RunConfig(
            model: ClassifierConfig(vocabularySize: vocabulary.count, embeddingDimension: 8, hiddenSize: 6, layers: 2,
                                    bidirectional: true, cell: .lstm, pooling: .concat, classCount: 2,
                                    embeddingDropout: 0.1, interLayerDropout: 0.1, featureDropout: 0.1),
            text: pipeline.config, labels: labels, training: options)
        let session = try makeSession(config: config, vocabulary: vocabulary, seed: 3, train: data, valid: data, on: backend)
        try session.run()
        return (session.runFolder, session.trainer.model as! SentimentClassifier, vocabulary, pipeline)
    }

    func probabilities(_ model: SentimentClassifier, _ vocabulary: Vocabulary, _ pipeline: TextPipeline, on backend: Backend) throws -> [[Float]] {
        let sequences = Self.texts.map { pipeline.encode($0, vocabulary: vocabulary) }
        let batches = evaluationBatches(sequences: sequences, labels: nil, batchSize: 3)
        var reports: [PredictionProgress] = []
        let predictions = try Trainer(model: model, options: TrainingOptions(), on: backend).predict(batches) { reports.append($0) }
        // One progress report per batch, counting up to every text with nothing left.
        var counted = 0
        #expect(reports.map(\.texts) == batches.map { counted += $0.batchSize; return counted })
        #expect(reports.last?.totalTexts == Self.texts.count && reports.last?.secondsLeft == 0)
        return predictions.probabilitiesByExample(count: Self.texts.count)
    }

    @Test func saveLoadPredictGivesIdenticalProbabilities() throws {
        for backend in try TestBackends.all() {
            let (folder, model, vocabulary, pipeline) = try trainedRun(on: backend)
            defer { try? FileManager.default.removeItem(at: folder.url) }
            let before = try probabilities(model, vocabulary, pipeline, on: backend)
            let loaded = try folder.load(on: backend)
            #expect(loaded.vocabulary == vocabulary)
            let after = try probabilities(loaded.model, loaded.vocabulary, loaded.pipeline, on: backend)
            #expect(before == after, "probabilities changed after save and load on \(backend.name)")
            #expect(before.allSatisfy { abs($0.reduce(0, +) - 1) < 1e-5 })
        }
    }

    @Test func damagedModelFilesAreRefusedWithTheirName() throws {
        let backend = CPUBackend()
        let (folder, _, _, _) = try trainedRun(on: backend)
        defer { try? FileManager.default.removeItem(at: folder.url) }
        let original = try Data(contentsOf: folder.model)

        try original.prefix(original.count / 2).write(to: folder.model)
        #expect(throws: SafeTensorsError.self) { try folder.load(on: backend) }

        try Data("not a model".utf8).write(to: folder.model)
        let error = #expect(throws: SafeTensorsError.self) { try folder.load(on: backend) }
        #expect(error?.description.contains("model.safetensors") == true)

        try FileManager.default.removeItem(at: folder.model)
        #expect(throws: RunFolderError.self) { try folder.load(on: backend) }
        try FileManager.default.removeItem(at: folder.config)
        #expect(throws: RunFolderError.self) { try folder.load(on: backend) }
    }

    @Test func safetensorsRoundTripAndHeader() throws {
        let entries = ["b": SafeTensors.Entry(shape: [2, 3], values: [1, 2, 3, 4, 5, 6]), "a": SafeTensors.Entry(shape: [1], values: [-0.5])]
        let data = try SafeTensors.encode(entries, metadata: ["gate_order": "i,f,g,o"])
        let headerLength = data.prefix(8).withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
        #expect((8 + headerLength) % 8 == 0)
        let header = try JSONSerialization.jsonObject(with: data[8..<(8 + headerLength)]) as? [String: Any]
        #expect((header?["a"] as? [String: Any])?["dtype"] as? String == "F32")
        let (decoded, metadata) = try SafeTensors.decode(data, source: "memory")
        #expect(decoded == entries)
        #expect(metadata["gate_order"] == "i,f,g,o")
        #expect(metadata["recur.checksum"]?.hasPrefix("fnv1a64w:") == true)
    }

    /// A bit flipped in the tensor data (a bad disk, a partial copy) is refused by the checksum, naming the
    /// file; a file without a checksum (PyTorch's) is read as it is.
    @Test func checksumRefusesChangedDataAndForeignFilesStillRead() throws {
        let entries = ["w": SafeTensors.Entry(shape: [4], values: [1, 2, 3, 4])]
        var data = try SafeTensors.encode(entries)
        data[data.count - 3] ^= 0x10
        do {
            _ = try SafeTensors.decode(data, source: "runs/x/model.safetensors")
            Issue.record("changed data should be refused")
        } catch let error as SafeTensorsError {
            #expect(error.description.contains("runs/x/model.safetensors") && error.description.contains("damaged"))
        }
        // The same file as another writer would write it: no __metadata__.
        let header = Data(#"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#.utf8)
        var foreign = Data()
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { foreign.append(contentsOf: $0) }
        foreign.append(header)
        [Float(1), 2, 3, 4].withUnsafeBytes { foreign.append(contentsOf: $0) }
        #expect(try SafeTensors.decode(foreign, source: "torch").tensors == entries)
    }

    /// A durable write replaces the file and leaves nothing beside it; one into a missing folder names the file.
    @Test func durableWritesReplaceWholeFilesAndNameFailures() throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "recur-durable-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appending(path: "model.safetensors")
        try DurableFile.write("old", to: file)
        try DurableFile.write("new contents", to: file)
        #expect(try String(contentsOf: file, encoding: .utf8) == "new contents")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["model.safetensors"])
        let missing = folder.appending(path: "no/such/folder/config.json")
        #expect(throws: DurableFileError.self) { try DurableFile.write("x", to: missing) }
        do { try DurableFile.write("x", to: missing) } catch let error as DurableFileError {
            #expect(error.description.contains("no/such/folder/config.json"))
        }
    }
}
