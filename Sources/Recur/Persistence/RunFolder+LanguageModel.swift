import Foundation
import RecurCore
import RecurText

/// Language-model run folders (`recur pretrain --out`): same files as a classifier's, another config format.
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
