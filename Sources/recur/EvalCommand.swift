import ArgumentParser
import Foundation
import Recur
import RecurCore
import RecurText

/// `recur eval`: score a trained run on labeled data.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval", abstract: "Evaluate a trained model: accuracy, precision, recall, F1, confusion matrix.")

    @Option(help: "Run folder written by `recur train`.") var model: String
    @Option(help: "Labeled data (CSV/TSV, JSON Lines, or a folder per class).") var data: String?
    @Option(name: .customLong("class"), help: "LABEL=FILE with one text per line (repeatable), instead of --data.")
    var classFiles: [String] = []
    @Option(help: "Write misclassified examples here (TSV: location, label, predicted, confidence, text).") var errors: String?
    @Flag(help: "With --errors: write them as an HTML page, each word coloured by how it pushed the model to its wrong answer (integrated gradients).")
    var explain = false
    @Option(help: "With --explain: explain at most this many misclassified texts.") var maxExplained = 200
    @Flag(help: "Print the report as JSON.") var json = false
    @OptionGroup(title: "Reading") var reader: ReaderOptions
    @OptionGroup var device: DeviceOption
    @OptionGroup var precision: Int8Option

    func validate() throws {
        if (data == nil) == classFiles.isEmpty { throw ValidationError("give the data with --data FILE or --class LABEL=FILE") }
        if explain && precision.int8 { throw ValidationError("--explain takes gradients, which an int8 model does not have: leave out --int8") }
        if explain && errors == nil { throw ValidationError("--explain writes the misclassified texts: give --errors FILE.html too") }
    }

    func run() throws {
        let (backend, reason) = try device.makeBackend(int8: precision.int8)
        log("device: \(backend.name) — \(reason)")
        let loaded = try RunFolder(model).loadClassifier(on: backend, int8: precision.int8)
        let source: LabeledDataSource = classFiles.isEmpty
            ? try reader.source(for: data!) : .classFiles(try classFiles.map { try ClassFile(argument: $0) })
        let examples = try reader.read(source, name: "data", knownLabels: loaded.config.labels)
        let tokenized = try loaded.encoder.tokenize(examples, skipBadRows: reader.skipBadRows)
        guard !tokenized.examples.isEmpty else { throw CLIError("\(data ?? "the --class files"): no examples to evaluate") }
        if tokenized.badRows.skippedRows > 0 { log("data after cleaning: \(tokenized.badRows)") }
        let encoded = try loaded.encoder.encode(tokenized, labels: loaded.config.labels)
        let progressLine = ProgressLine()
        let trainer = try Trainer(model: loaded.model, options: loaded.config.training, on: backend)
        let start = DispatchTime.now().uptimeNanoseconds
        let predictions = try trainer.predict(evaluationBatches(sequences: encoded.sequences, labels: encoded.labels),
                                            progress: { progressLine.update("eval", $0) })
        progressLine.clear()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let tokens = encoded.sequences.reduce(0) { $0 + $1.count }
        log(String(format: "eval: %d texts, %d tokens in %.2f s (%.0f tokens/s)", encoded.count, tokens, seconds, Double(tokens) / max(seconds, 1e-9)))
        let predicted = predictions.predictedClasses
        let report = ClassificationReport(labels: loaded.config.labels.names, targets: predictions.labels.map(Int.init),
                                          predictions: predicted)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(report.text)
        }
        if let errors, explain {
            try writeExplainedErrors(predictions: predictions, tokenized: tokenized, loaded: loaded, to: errors, on: backend)
        } else if let errors {
            var lines = ["location\tlabel\tpredicted\tconfidence\ttext"]
            for (row, index) in predictions.exampleIndices.enumerated() where predicted[row] != Int(predictions.labels[row]) {
                let example = tokenized.examples[index]
                let text = example.text.replacingOccurrences(of: "\t", with: " ").replacingOccurrences(of: "\n", with: " ")
                lines.append("\(example.source)\t\(example.label)\t\(loaded.config.labels.names[predicted[row]])\t"
                             + String(format: "%.4f", predictions.probabilities[row][predicted[row]]) + "\t\(text)")
            }
            try (lines.joined(separator: "\n") + "\n").write(toFile: errors, atomically: true, encoding: .utf8)
            log("wrote \(lines.count - 1) misclassified examples to \(errors)")
        }
    }

    /// The misclassified examples as an HTML page, each explained for the class the model wrongly chose.
    private func writeExplainedErrors(predictions: Predictions, tokenized: TokenizedExamples, loaded: RunFolder.LoadedClassifier,
                                      to path: String, on backend: Backend) throws {
        let explainer = try Explainer(loaded, on: backend)
        let predicted = predictions.predictedClasses
        let wrong = predictions.exampleIndices.enumerated()
            .filter { predicted[$0.offset] != Int(predictions.labels[$0.offset]) }
            .sorted { $0.element < $1.element }  // file order
        if wrong.count > maxExplained { log("explaining the first \(maxExplained) of \(wrong.count) misclassified texts (--max-explained)") }
        var explained: [ExplainedText] = [], notes: [String] = []
        let progressLine = ProgressLine()
        for (done, (row, index)) in wrong.prefix(maxExplained).enumerated() {
            let example = tokenized.examples[index]
            progressLine.update("explain \(done + 1)/\(min(wrong.count, maxExplained))")
            do {
                explained.append(try explainer.explain(example.text, label: loaded.config.labels.names[predicted[row]],
                                                       method: .integratedGradients))
            } catch let error as ExplainError {
                log("\(example.source): \(error)")
                continue
            }
            notes.append("\(example.source), labelled \(example.label)")
        }
        progressLine.clear()
        let page = AttributionRendering.html(explained, notes: notes,
                                             title: "Misclassified by \(RunFolder(model).url.lastPathComponent): \(wrong.count) of \(predicted.count)")
        do {
            try page.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw CLIError("cannot write \(path): \(error.localizedDescription)")
        }
        log("wrote \(explained.count) misclassified examples with their attributions to \(path)")
    }
}
