import ArgumentParser
import Foundation
import Recur
import RecurCore
import RecurText

/// `recur predict`: label and class probabilities for each text.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict", abstract: "Predict the sentiment of texts given as arguments, in a file, or on standard input.")

    @Option(help: "Run folder written by `recur train`.") var model: String
    @Argument(help: "Texts to classify.") var texts: [String] = []
    @Option(help: "A file with one text per line, or - for standard input.") var input: String?
    @Flag(help: "One JSON object per line: text, label, probabilities.") var json = false
    @OptionGroup var device: DeviceOption
    @OptionGroup var precision: Int8Option

    func validate() throws {
        if texts.isEmpty && input == nil { throw ValidationError("give texts as arguments, or --input FILE (or - for standard input)") }
    }

    func run() throws {
        let (backend, reason) = try device.makeBackend(int8: precision.int8)
        log("device: \(backend.name) — \(reason)")
        let loaded = try RunFolder(model).loadClassifier(on: backend, int8: precision.int8)
        let allTexts = try commandTexts(texts, input: input, toDo: "predict")
        let sequences = allTexts.map { loaded.encoder.encode($0).ids }
        let progressLine = ProgressLine()
        let trainer = try Trainer(model: loaded.model, options: loaded.config.training, on: backend)
        let predictions = try trainer.predict(evaluationBatches(sequences: sequences, labels: nil),
                                            progress: { progressLine.update("predict", $0) })
        progressLine.clear()
        let probabilitiesByText = predictions.probabilitiesByExample(count: allTexts.count)

        let labels = loaded.config.labels.names
        for (text, probabilities) in zip(allTexts, probabilitiesByText) {
            let best = argmax(probabilities)
            if json {
                let object: [String: Any] = [
                    "text": text, "label": labels[best],
                    "probabilities": Dictionary(uniqueKeysWithValues: zip(labels, probabilities.map(Double.init))),
                ]
                let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
                print(String(decoding: data, as: UTF8.self))
            } else {
                let shown = zip(labels, probabilities).map { "\($0)=\(String(format: "%.3f", $1))" }.joined(separator: " ")
                print("\(labels[best])\t\(shown)\t\(text)")
            }
        }
    }
}
