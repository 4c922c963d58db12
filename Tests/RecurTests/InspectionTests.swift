import Foundation
import Recur
import RecurCore
import RecurText
import Testing

/// `recur neighbors` and `recur generate`'s pieces.
struct InspectionTests {
    @Test func nearestWordsRankByCosine() {
        // Rows: 0 zero (padding), 1 = (1, 0), 2 = (10, 1) nearly parallel to 1, 3 = (0, 1), 4 = (-1, 0).
        let neighbors = NearestWords(embedding: [0, 0, 1, 0, 10, 1, 0, 1, -1, 0], dimension: 2)
        let result = neighbors.nearest(to: 1, k: 3)
        #expect(result.map(\.id) == [2, 3, 4])
        #expect(abs(result[0].similarity - 10 / Float(101).squareRoot()) < 1e-6)
        #expect(abs(result[2].similarity + 1) < 1e-6)
        #expect(neighbors.nearest(to: 1, k: 5, excluding: [2]).map(\.id) == [3, 4])
    }

    @Test func detokenizeJoinsWordsAndCJK() {
        #expect(TextGenerator.detokenize(["this", "film", "(", "2004", ")", "is", "great", "!"]) == "this film (2004) is great!")
        #expect(TextGenerator.detokenize(["酒", "店", "很", "好", "，", "good"]) == "酒店很好， good")
    }

    /// Sampling is reproducible from the seed, never draws <pad> or <unk>, stops at <eos>, and top-k 1 is
    /// greedy decoding.
    @Test func generationIsSeededAndGreedyWithTopKOne() throws {
        let backend = CPUBackend()
        let vocabulary = try Vocabulary(tokens: ["<pad>", "<unk>", "<eos>", "a", "b", "c", "d"])
        let model = try LanguageModel(config: LanguageModelConfig(vocabularySize: vocabulary.count, embeddingDimension: 4,
                                                                  hiddenSize: 4, layers: 1), seed: 2, on: backend)
        let generator = TextGenerator(model: model, vocabulary: vocabulary, on: backend)
        var first = Xoshiro256StarStar(seed: 5), second = Xoshiro256StarStar(seed: 5)
        let a = try generator.continuation(of: [3, 4], count: 30, temperature: 1.5, topK: 0, using: &first)
        let b = try generator.continuation(of: [3, 4], count: 30, temperature: 1.5, topK: 0, using: &second)
        #expect(a == b)
        #expect(!a.contains(Vocabulary.padID) && !a.contains(Vocabulary.unknownID))
        if let end = a.firstIndex(of: 2) { #expect(end == a.count - 1) }

        // Greedy: each step's choice is the arg-max of the full softmax given the text so far.
        var random = Xoshiro256StarStar(seed: 1)
        let greedy = try generator.continuation(of: [3], count: 3, temperature: 1, topK: 1, using: &random)
        let softmax = CandidateSoftmax(weight: model.decoderWeight, bias: model.decoderBias)
        var text: [Int32] = [3]
        for id in greedy {
            let (outputs, _) = try model.forward(tokens: try backend.upload(text, shape: [text.count, 1]),
                                                 state: try model.zeroState(batch: 1, on: backend), on: backend)
            var probabilities = try backend.download(try softmax.probabilities(outputs: outputs.slice((text.count - 1)..<text.count), on: backend))
            probabilities[0] = 0
            probabilities[1] = 0
            #expect(Int(id) == argmax(probabilities[...]))
            if id == 2 { break }
            text.append(id)
        }
    }
}
