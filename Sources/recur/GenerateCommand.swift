import ArgumentParser
import Foundation
import Recur
import RecurText

/// `recur generate`: sample text from a pretrained language model.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Continue a prompt by sampling from a language model written by `recur pretrain`.")

    @Option(help: "Run folder of `recur pretrain`.") var model: String
    @Option(help: "Text to continue.") var prompt: String
    @Option(help: "Tokens to generate (stops early after <eos>).") var length = 60
    @Option(help: "Softmax temperature: below 1 is safer, above 1 more adventurous.") var temperature: Float = 0.8
    @Option(help: "Sample among the k likeliest tokens only (0: all).") var topK = 40
    @Option(help: "Samples to draw.") var samples = 1
    @Option(help: "Random seed.") var seed: UInt64 = 1
    @OptionGroup var device: DeviceOption

    func validate() throws {
        if length < 1 || samples < 1 { throw ValidationError("--length and --samples must be positive") }
        if !(temperature > 0) { throw ValidationError("--temperature must be positive") }
        if topK < 0 { throw ValidationError("--top-k must be >= 0") }
    }

    func run() throws {
        let (backend, _) = try device.makeBackend()
        let loaded = try RunFolder(model).loadLanguageModel(on: backend)
        let promptTokens = loaded.pipeline.tokens(for: prompt)
        guard !promptTokens.isEmpty else { throw CLIError("--prompt has no tokens after cleaning") }
        let unknown = promptTokens.filter { !loaded.vocabulary.contains($0) }
        if !unknown.isEmpty { log("note: not in the vocabulary (read as <unk>): \(unknown.joined(separator: " "))") }
        let generator = TextGenerator(model: loaded.model, vocabulary: loaded.vocabulary, on: backend)
        var random = Xoshiro256StarStar(seed: seed)
        for _ in 0..<samples {
            let ids = try generator.continuation(of: loaded.vocabulary.encode(promptTokens), count: length,
                                                 temperature: temperature, topK: topK, using: &random)
            let words = ids.map(loaded.vocabulary.token(for:)).filter { $0 != TextCorpus.endOfDocument }
            print(TextGenerator.detokenize(promptTokens + words))
        }
    }
}
