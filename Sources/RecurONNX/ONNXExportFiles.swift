import Foundation
import Recur
import RecurCore

/// Where an ONNX export goes: the model plus what it takes to feed it, `vocab.txt` (line number = token id)
/// and the run's `config.json` (its `text` part is the cleaning, tokenizer, max length, truncation and start
/// token that turn a text into ids; `labels` names the output classes).
public struct ONNXExportFiles: Sendable {
    public let model: URL
    public let vocabulary: URL
    public let config: URL

    /// `out` ending in `.onnx` is the model file, with `vocab.txt` and `config.json` beside it; any other
    /// `out` is a folder receiving `model.onnx`, `vocab.txt` and `config.json`.
    public init(out: String) {
        let url = URL(fileURLWithPath: out)
        let folder = url.pathExtension.lowercased() == "onnx" ? url.deletingLastPathComponent() : url
        model = url.pathExtension.lowercased() == "onnx" ? url : url.appending(path: "model.onnx")
        vocabulary = folder.appending(path: "vocab.txt")
        config = folder.appending(path: "config.json")
    }

    /// Loads the run (on `backend`) and writes the three files; returns what was loaded.
    @discardableResult
    public func write(from run: RunFolder, on backend: Backend) throws -> RunFolder.Loaded {
        let loaded = try run.load(on: backend)
        // The run's own metadata, less its gate order: the ONNX weights are in ONNX's (LSTM i,o,f,c; GRU z,r,h).
        var metadata = RunFolder.modelMetadata(loaded.config)
        metadata["gate_order"] = nil
        let data = try ONNXClassifierExport.serializedModel(
            loaded.model, labels: loaded.config.labels.names, metadata: metadata, on: backend)
        try FileManager.default.createDirectory(at: model.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: model, options: .atomic)
        // Copied byte for byte, so the export decodes as the run does (RunConfig, Vocabulary.load).
        try copy(run.vocabulary, to: vocabulary)
        try copy(run.config, to: config)
        return loaded
    }

    private func copy(_ source: URL, to target: URL) throws {
        guard source.standardizedFileURL.path != target.standardizedFileURL.path else { return }  // exported into the run itself
        try Data(contentsOf: source).write(to: target, options: .atomic)
    }
}
