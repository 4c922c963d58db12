import ArgumentParser
import Foundation
import Recur
import RecurCore
import RecurONNX
import RecurText

/// `recur export`: a trained run as a standard model file other runtimes can serve.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export a trained classifier as an ONNX model, with its vocabulary and text pipeline beside it.",
        discussion: """
            Writes model.onnx (opset \(ONNXClassifierExport.opsetVersion), standard ops only: Gather, LSTM/GRU/RNN, \
            pooling, Gemm, Softmax), vocab.txt and config.json into --out (or, for --out FILE.onnx, that file with \
            vocab.txt and config.json beside it).

            Inputs: tokens int64 [batch, steps], batch-major, padded after each text's end with any valid id \
            (<pad> = 0), and lengths int64 [batch] (1...steps). Outputs: probabilities float [batch, classes] \
            and logits, classes in the order of config.json's labels (also in the model's metadata, 'labels').

            Token ids: the text part of config.json says how recur cleans and tokenizes a text, truncates it to \
            maxLength and puts a start token before it; each token's id is its line number in vocab.txt (from 0), \
            <unk> = 1 for a token not there. --encode FILE writes the ids recur gives each line of FILE, to feed \
            the model or check another tokenizer against.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case onnx
    }

    @Option(help: "Run folder written by `recur train`.") var model: String
    @Option(help: "Model format: onnx.") var format: Format = .onnx
    @Option(help: "Folder to write model.onnx, vocab.txt and config.json into, or a FILE.onnx.") var out: String
    @Option(help: "A file with one text per line (or - for standard input) to tokenize as recur does, for --encoded-out.")
    var encode: String?
    @Option(help: "Where --encode's token ids go: JSON Lines {\"text\": ..., \"ids\": [...]}, one per text, in order.")
    var encodedOut: String?

    func validate() throws {
        if (encode == nil) != (encodedOut == nil) { throw ValidationError("--encode FILE and --encoded-out FILE go together") }
    }

    func run() throws {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: model, isDirectory: &isFolder), isFolder.boolValue else {
            throw CLIError("\(model): no such run folder (give --model the --out folder of `recur train`)")
        }
        // Exporting reads weights only: the CPU backend does it anywhere.
        let backend = CPUBackend()
        let files = ONNXExportFiles(out: out)
        let loaded = try files.write(from: RunFolder(model), on: backend)
        log("wrote \(files.model.path), \(files.vocabulary.path), \(files.config.path)")

        if let encode, let encodedOut {
            let (lines, badRows) = try PlainTextReader(path: encode).readAll()
            if badRows.skippedRows > 0 { log("\(encode): \(badRows)") }
            var output = Data()
            for text in lines {
                let ids = loaded.pipeline.encode(text, vocabulary: loaded.vocabulary)
                let object: [String: Any] = ["text": text, "ids": ids.map(Int.init)]
                output += try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
                output += Data("\n".utf8)
            }
            try output.write(to: URL(fileURLWithPath: encodedOut), options: .atomic)
            log("wrote the token ids of \(lines.count) texts to \(encodedOut)")
        }
    }
}
