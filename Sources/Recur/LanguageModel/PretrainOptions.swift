import Foundation
import RecurCore
import RecurText

/// What one pretraining run is asked to do, beyond the architecture.
public struct PretrainOptions: Codable, Sendable, Equatable {
    public var epochs = 1
    /// Parallel rows of text per step.
    public var batchSize = 64
    /// Steps of backpropagation through time per window.
    public var bptt = 70
    public var optimizer: OptimizerChoice = {
        var choice = OptimizerChoice()
        choice.learningRate = 2e-3
        return choice
    }()
    public var schedule = LearningRateSchedule(kind: .linear, warmupSteps: 100)
    public var clipNorm: Float = 0.5
    /// Sampled-softmax negatives per step (0: the exact softmax over the whole vocabulary).
    public var negatives = 1024
    /// Write a resumable checkpoint every this many steps (0: only at the end of each epoch).
    public var checkpointEvery = 500
    public var seed: UInt64 = 1
    public init() {}
}

/// Everything needed to rebuild a language model and its text pipeline, saved as `config.json`.
public struct LanguageModelRunConfig: Codable, Sendable {
    public static let currentFormat = "recur-lm/1"
    public var format = LanguageModelRunConfig.currentFormat
    public var model: LanguageModelConfig
    public var text: TextPipelineConfig
    public var training: PretrainOptions

    public init(model: LanguageModelConfig, text: TextPipelineConfig, training: PretrainOptions) {
        self.model = model
        self.text = text
        self.training = training
    }
}

extension RunFolder {
    /// The `format` field of `config.json`: which kind of run this folder holds.
    public func format() throws -> String {
        struct Header: Decodable { var format: String }
        guard FileManager.default.fileExists(atPath: config.path) else {
            throw RunFolderError(path: url.path, problem: "has no config.json: is it a folder written by `recur train` or `recur pretrain`?")
        }
        do {
            return try JSONDecoder().decode(Header.self, from: Data(contentsOf: config)).format
        } catch {
            throw RunFolderError(path: config.path, problem: "cannot be read: \(error)")
        }
    }

    public func writeConfig(_ config: LanguageModelRunConfig) throws { try writeJSON(config, to: self.config) }

    public func readLanguageModelConfig() throws -> LanguageModelRunConfig {
        let format = try format()
        guard format == LanguageModelRunConfig.currentFormat else {
            throw RunFolderError(path: config.path, problem: "holds a '\(format)' run, not a language model ('\(LanguageModelRunConfig.currentFormat)'); write one with `recur pretrain`")
        }
        do {
            return try JSONDecoder().decode(LanguageModelRunConfig.self, from: Data(contentsOf: config))
        } catch {
            throw RunFolderError(path: config.path, problem: "cannot be read: \(error)")
        }
    }

    /// A trained language model with its vocabulary and text pipeline.
    public struct LoadedLanguageModel {
        public let config: LanguageModelRunConfig
        public let vocabulary: Vocabulary
        public let pipeline: TextPipeline
        public let model: LanguageModel
    }

    public func loadLanguageModel(on backend: Backend) throws -> LoadedLanguageModel {
        let config = try readLanguageModelConfig()
        let vocabulary = try readVocabulary(modelSize: config.model.vocabularySize)
        guard FileManager.default.fileExists(atPath: model.path) else {
            throw RunFolderError(path: url.path, problem: "has no model.safetensors (pretraining did not finish an epoch?)")
        }
        let model = try LanguageModel(config: config.model, seed: 0, on: backend)
        try ModelWeights.load(into: model.parameters, from: self.model, on: backend)
        return LoadedLanguageModel(config: config, vocabulary: vocabulary, pipeline: try TextPipeline(config.text), model: model)
    }
}
