import Foundation
@testable import RecurONNX
import Recur
import RecurCore
import RecurText

/// Small random classifiers, their CPU forward pass, and onnxruntime driven through python3.
enum ONNXTestSupport {
    static func config(_ cell: RecurrentCellKind, layers: Int = 1, bidirectional: Bool = false, pooling: Pooling = .last,
                       classes: Int = 3) -> ClassifierConfig {
        ClassifierConfig(vocabularySize: 40, embeddingDimension: 5, hiddenSize: 4, layers: layers, bidirectional: bidirectional,
                         cell: cell, pooling: pooling, classCount: classes)
    }

    static func labels(_ config: ClassifierConfig) -> [String] { (0..<config.classCount).map { "class\($0)" } }

    /// The model as parsed back from the bytes the exporter writes.
    static func parsed(_ model: SentimentClassifier, on backend: Backend) throws -> Onnx_ModelProto {
        let data = try ONNXClassifierExport.serializedModel(model, labels: labels(model.config), on: backend)
        return try Onnx_ModelProto(serializedBytes: data)
    }

    /// A batch of sequences with lengths from 1 to `maxLength`, ids drawn from 1..<vocabulary (never `<pad>`).
    static func sequences(count: Int, maxLength: Int, vocabulary: Int, seed: UInt64) -> [[Int32]] {
        var generator = SplitMix64(seed: seed)
        return (0..<count).map { index in
            let length = index == 0 ? maxLength : index == 1 ? 1 : Int.random(in: 1...maxLength, using: &generator)
            return (0..<length).map { _ in Int32.random(in: 1..<Int32(vocabulary), using: &generator) }
        }
    }

    /// recur's own forward pass (time-major, padded with `<pad>`), softmaxed: `[B][C]`.
    static func recurProbabilities(_ model: SentimentClassifier, _ sequences: [[Int32]], on backend: Backend) throws -> [[Float]] {
        let batch = Batch(indices: Array(sequences.indices), sequences: sequences, labels: nil)
        let tokens = try backend.upload(batch.tokenIDs, shape: [batch.maxLength, batch.batchSize])
        let lengths = try backend.upload(batch.lengths, shape: [batch.batchSize])
        let logits = try model.forward(tokens: tokens, lengths: lengths, on: backend)
        let probabilities = try backend.zeros(logits.shape, dtype: .float32)
        try backend.softmax(logits, into: probabilities)
        let flat = try backend.download(probabilities), classes = model.config.classCount
        return (0..<batch.batchSize).map { Array(flat[($0 * classes)..<(($0 + 1) * classes)]) }
    }

    /// Batch-major `[B][T]` tokens for the ONNX model, padded with `filler` (not `<pad>`: padded positions
    /// must not be read), and the lengths.
    static func onnxInputs(_ sequences: [[Int32]], filler: Int64) -> (tokens: [[Int64]], lengths: [Int64]) {
        let steps = sequences.map(\.count).max() ?? 0
        return (sequences.map { $0.map(Int64.init) + Array(repeating: filler, count: steps - $0.count) },
                sequences.map { Int64($0.count) })
    }

    static var onnxRuntimeAvailable: Bool { (try? python(["-c", "import onnxruntime"]).status) == 0 }

    /// Runs each (model file, tokens, lengths) through onnxruntime in one python3 process; returns each
    /// model's `probabilities` `[B][C]`.
    static func onnxRuntimeProbabilities(_ jobs: [(model: URL, tokens: [[Int64]], lengths: [Int64])]) throws -> [[[Float]]] {
        let folder = FileManager.default.temporaryDirectory.appending(path: "recur-onnx-ort-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let request = folder.appending(path: "request.json"), response = folder.appending(path: "response.json")
        let payload = jobs.map { ["model": $0.model.path, "tokens": $0.tokens, "lengths": $0.lengths] as [String: Any] }
        try JSONSerialization.data(withJSONObject: payload).write(to: request)
        let script = """
            import json, sys
            import numpy as np, onnxruntime as ort
            results = []
            for job in json.load(open(sys.argv[1])):
                session = ort.InferenceSession(job["model"], providers=["CPUExecutionProvider"])
                feeds = {"tokens": np.array(job["tokens"], dtype=np.int64), "lengths": np.array(job["lengths"], dtype=np.int64)}
                results.append(session.run(["probabilities"], feeds)[0].astype(float).tolist())
            json.dump(results, open(sys.argv[2], "w"))
            """
        let (status, output) = try python(["-c", script, request.path, response.path])
        guard status == 0 else { throw ONNXTestError("onnxruntime failed (exit \(status)):\n\(output)") }
        let decoded = try JSONSerialization.jsonObject(with: Data(contentsOf: response)) as! [[[Double]]]
        return decoded.map { $0.map { $0.map(Float.init) } }
    }

    private static func python(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    /// Float tensor data of an initializer (raw little-endian bytes, as the exporter writes them).
    static func floats(_ tensor: Onnx_TensorProto) -> [Float] {
        let bytes = [UInt8](tensor.rawData)
        return stride(from: 0, to: bytes.count, by: 4).map { offset in
            Float(bitPattern: UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16
                | UInt32(bytes[offset + 3]) << 24)
        }
    }

    static func int64s(_ tensor: Onnx_TensorProto) -> [Int64] {
        let bytes = [UInt8](tensor.rawData)
        return stride(from: 0, to: bytes.count, by: 8).map { offset in
            Int64(bitPattern: (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[offset + $1]) << (8 * UInt64($1)) })
        }
    }
}

struct ONNXTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
