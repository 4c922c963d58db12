import Foundation
import Recur
import RecurText

/// The settings a training run ended up with, as one line in flag terms, so a user can repeat or change any.
struct TrainingSettingsSummary {
    let model: ClassifierConfig
    let text: TextPipelineConfig
    let training: TrainingOptions

    var line: String {
        var parts: [String] = []
        switch model.encoder {
        case .bag:
            parts.append("--model bag --embedding-dim \(model.embeddingDimension) --pooling \(model.pooling.rawValue)")
        case .recurrent:
            parts.append("--cell \(model.cell.rawValue) --embedding-dim \(model.embeddingDimension) --hidden \(model.hiddenSize) --layers \(model.layers)"
                         + (model.bidirectional ? " --bidirectional" : "") + " --pooling \(model.pooling.rawValue)")
            parts.append("--rnn-dropout \(format(model.interLayerDropout)) --weight-dropout \(format(model.weightDropout))")
        case .transformer:
            parts.append("--pooling \(model.transformer?.pooling.rawValue ?? "cls") --max-len \(text.maxLength ?? 0)")
            parts.append("--optimizer \(training.optimizer.name.rawValue) --lr \(String(format: "%g", training.optimizer.learningRate)) --weight-decay \(format(training.optimizer.weightDecay))"
                         + " --schedule \(training.schedule.kind.rawValue) --warmup \(training.schedule.warmupSteps) --clip-norm \(format(training.clipNorm))"
                         + " --batch-size \(training.batchSize) --epochs \(training.epochs) --patience \(training.patience) --monitor \(training.monitor.rawValue)")
            return parts.joined(separator: " ")
        }
        if model.head == .ulmfit { parts.append("--head ulmfit") }
        parts.append("--dropout \(format(model.featureDropout)) --embedding-dropout \(format(model.embeddingDropout)) --word-dropout \(format(training.wordDropout))")
        parts.append("--max-len \(text.maxLength ?? 0)" + (text.maxLength == nil ? "" : " --truncate \((text.truncation ?? .head).rawValue)")
                     + ((text.wordNgrams ?? 1) > 1 ? " --word-ngrams \(text.wordNgrams!)" : ""))
        parts.append("--optimizer \(training.optimizer.name.rawValue) --lr \(String(format: "%g", training.optimizer.learningRate)) --schedule \(training.schedule.kind.rawValue)"
                     + " --batch-size \(training.batchSize) --epochs \(training.epochs) --patience \(training.patience) --monitor \(training.monitor.rawValue)")
        let fineTuning = training.fineTuning
        if fineTuning.isActive {
            parts.append((fineTuning.discriminativeFactor.map { "--discriminative-lr \(format($0))" } ?? "--discriminative-lr 1")
                         + (fineTuning.gradualUnfreeze ? " --gradual-unfreeze" : " --no-gradual-unfreeze")
                         + (fineTuning.freezeEmbedding ? " --freeze-embedding" : ""))
        }
        if let epsilon = training.adversarialEpsilon { parts.append("--adversarial fgm --epsilon \(format(epsilon))") }
        return parts.joined(separator: " ")
    }

    private func format(_ value: Float) -> String { String(format: "%g", value) }
}
