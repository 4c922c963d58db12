/// EDA (Wei & Zou 2019) without a thesaurus: new training texts made from each one by swapping, deleting or
/// inserting words. On a few thousand texts a model sees each phrase in a few word orders and with words
/// missing, so it leans less on any one word. Synonym replacement, EDA's fourth operation, needs WordNet,
/// which Recur does not ship; insertion copies a word of the same text, which is in the vocabulary.
public struct EasyDataAugmentation: Sendable {
    public enum Operation: String, CaseIterable, Sendable { case swap, delete, insert }

    /// Augmented copies per text.
    public var copies: Int
    /// The share of a text's words each operation touches (EDA's alpha).
    public var rate: Double
    public var seed: UInt64

    public init(copies: Int, rate: Double = 0.1, seed: UInt64) {
        self.copies = copies
        self.rate = rate
        self.seed = seed
    }

    /// EDA's advice by training-set size (its table 3): more copies and gentler edits for smaller sets.
    public static func recommended(forTrainingTexts n: Int, seed: UInt64) -> EasyDataAugmentation {
        n <= 500 ? .init(copies: 16, rate: 0.05, seed: seed)
            : n <= 2_000 ? .init(copies: 8, rate: 0.05, seed: seed)
            : .init(copies: 4, rate: 0.1, seed: seed)
    }

    /// `copies` new word lists for the text at `index`, the operations taken in turn; the same (seed, index)
    /// always gives the same copies.
    public func augment(_ words: [String], index: Int) -> [[String]] {
        var random = Xoshiro256StarStar(seed: seed, stream: UInt64(index))
        return (0..<copies).map { copy in
            Self.apply(Operation.allCases[copy % Operation.allCases.count], to: words, rate: rate, random: &random)
        }
    }

    static func apply(_ operation: Operation, to words: [String], rate: Double,
                      random: inout Xoshiro256StarStar) -> [String] {
        guard words.count > 1 else { return words }
        let edits = max(1, Int(rate * Double(words.count)))
        var result = words
        switch operation {
        case .swap:
            for _ in 0..<edits {
                let i = random.uniform(below: result.count), j = random.uniform(below: result.count)
                result.swapAt(i, j)
            }
        case .delete:
            // Each word goes with probability `rate`; one always stays.
            result = words.filter { _ in Double(random.uniform(below: 1_000_000)) >= rate * 1_000_000 }
            if result.isEmpty { result = [words[random.uniform(below: words.count)]] }
        case .insert:
            for _ in 0..<edits {
                let word = words[random.uniform(below: words.count)]
                result.insert(word, at: random.uniform(below: result.count + 1))
            }
        }
        return result
    }
}
