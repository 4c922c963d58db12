import ArgumentParser
import Foundation
import Recur
import RecurText

/// `recur neighbors`: the nearest words to a word in a model's embedding space.
struct NeighborsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "neighbors",
        abstract: "Print the words nearest to each WORD by cosine similarity of a model's learned embeddings.")

    @Option(help: "Run folder of `recur pretrain` or `recur train`.") var model: String
    @Option(name: .short, help: "Neighbors per word.") var k = 10
    @Argument(help: "Words to look up (tokenized as the model's text was).") var words: [String]

    func validate() throws {
        if words.isEmpty { throw ValidationError("give at least one WORD") }
        if k < 1 { throw ValidationError("-k must be positive") }
    }

    func run() throws {
        let folder = RunFolder(model)
        let encoder = try PretrainedEncoder(folder: folder)
        let (tensors, _) = try SafeTensors.read(folder.model)
        guard let embedding = tensors["embedding.weight"], embedding.shape.count == 2,
              embedding.shape[0] == encoder.vocabulary.count else {
            throw CLIError("\(folder.model.path) has no embedding.weight for its \(encoder.vocabulary.count)-word vocabulary")
        }
        let neighbors = NearestWords(embedding: embedding.values, dimension: embedding.shape[1])
        let pipeline = try TextPipeline(encoder.text)
        let special: Set<Int> = [Int(Vocabulary.padID), Int(Vocabulary.unknownID)]
        var missing: [String] = []
        for word in words {
            // Clean and tokenize as training did (lower-casing, ...); a phrase is looked up by its first token.
            let token = pipeline.tokens(for: word).first ?? word
            guard encoder.vocabulary.contains(token) else {
                missing.append(word)
                continue
            }
            print(token)
            for (id, similarity) in neighbors.nearest(to: Int(encoder.vocabulary.id(for: token)), k: k, excluding: special) {
                print("  " + encoder.vocabulary.token(for: Int32(id)).padding(toLength: 20, withPad: " ", startingAt: 0)
                      + String(format: "%.3f", similarity))
            }
        }
        if !missing.isEmpty {
            throw CLIError("not in the vocabulary of \(model) (\(encoder.vocabulary.count) words): \(missing.joined(separator: ", "))")
        }
    }
}
