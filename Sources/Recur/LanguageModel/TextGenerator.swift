import Foundation
import RecurCore
import RecurText

/// Samples text from a language model, one token at a time, with temperature and top-k: a way to see what
/// a pretrained model has picked up about its domain.
public struct TextGenerator {
    public let model: LanguageModel
    public let vocabulary: Vocabulary
    public let backend: Backend

    public init(model: LanguageModel, vocabulary: Vocabulary, on backend: Backend) {
        self.model = model
        self.vocabulary = vocabulary
        self.backend = backend
    }

    /// Continues `prompt` (token ids, at least one) by up to `count` sampled ids, stopping after `<eos>`.
    /// `temperature` divides the logits (lower: safer choices); `topK` > 0 samples among the k likeliest only.
    /// `<pad>` and `<unk>` are never drawn.
    public func continuation<G: RandomNumberGenerator>(of prompt: [Int32], count: Int, temperature: Float, topK: Int,
                                                       using generator: inout G) throws -> [Int32] {
        precondition(!prompt.isEmpty, "a prompt needs at least one token")
        let softmax = CandidateSoftmax(weight: model.decoderWeight, bias: model.decoderBias)
        let endOfDocument = vocabulary.contains(TextCorpus.endOfDocument) ? vocabulary.id(for: TextCorpus.endOfDocument) : nil
        var state = try model.zeroState(batch: 1, on: backend)
        var input = prompt
        var generated: [Int32] = []
        while generated.count < count {
            let (outputs, next) = try model.forward(tokens: try backend.upload(input, shape: [input.count, 1]), state: state, on: backend)
            state = next
            let last = outputs.slice((input.count - 1)..<input.count)
            let probabilities = try backend.download(try softmax.probabilities(outputs: last, on: backend))
            let id = sample(probabilities, temperature: temperature, topK: topK, using: &generator)
            generated.append(id)
            if id == endOfDocument { break }
            input = [id]
        }
        return generated
    }

    private func sample<G: RandomNumberGenerator>(_ probabilities: [Float], temperature: Float, topK: Int,
                                                  using generator: inout G) -> Int32 {
        // p^(1/T) renormalised is softmax(logits / T).
        var weighted = probabilities.enumerated().map { id, p -> (Int, Double) in
            id == Int(Vocabulary.padID) || id == Int(Vocabulary.unknownID) ? (id, 0) : (id, pow(Double(p), 1 / Double(temperature)))
        }
        if topK > 0, topK < weighted.count {
            weighted = Array(weighted.sorted { $0.1 > $1.1 }.prefix(topK))
        }
        let total = weighted.reduce(0) { $0 + $1.1 }
        var u = Double.random(in: 0..<max(total, .leastNormalMagnitude), using: &generator)
        for (id, weight) in weighted {
            u -= weight
            if u < 0 { return Int32(id) }
        }
        return Int32(weighted.last { $0.1 > 0 }?.0 ?? Int(Vocabulary.unknownID))
    }

    /// Tokens joined for reading: spaces between words, none between CJK characters, before closing
    /// punctuation or after opening brackets.
    public static func detokenize(_ tokens: [String]) -> String {
        let closing: Set<String> = [".", ",", "!", "?", ";", ":", ")", "]", "}", "%", "'s", "n't"]
        let opening: Set<Character> = ["(", "[", "{", "$"]
        var text = ""
        for token in tokens {
            if let previous = text.last, let first = token.first {
                let tight = (previous.isCJK && first.isCJK) || closing.contains(token) || opening.contains(previous)
                if !tight { text.append(" ") }
            }
            text += token
        }
        return text
    }
}

private extension Character {
    var isCJK: Bool {
        unicodeScalars.contains { (0x4E00...0x9FFF).contains($0.value) || (0x3400...0x4DBF).contains($0.value) || (0x3000...0x303F).contains($0.value) || (0xFF00...0xFFEF).contains($0.value) }
    }
}
