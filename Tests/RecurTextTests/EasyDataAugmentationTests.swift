import RecurText
import Testing

/// EDA's swap, delete and insert keep to the text's own words, touch about `rate` of them, and repeat
/// exactly for a seed.
struct EasyDataAugmentationTests {
    let words = (0..<40).map { "w\($0)" }

    @Test func operationsStayWithinTheTextsWords() {
        let eda = EasyDataAugmentation(copies: 6, rate: 0.1, seed: 5)
        let copies = eda.augment(words, index: 3)
        #expect(copies.count == 6)
        #expect(copies == eda.augment(words, index: 3))
        #expect(copies != eda.augment(words, index: 4))
        for (i, copy) in copies.enumerated() {
            #expect(Set(copy).isSubset(of: Set(words)))
            switch EasyDataAugmentation.Operation.allCases[i % 3] {
            case .swap:
                #expect(copy.sorted() == words.sorted() && copy != words)
                #expect(zip(copy, words).filter { $0 != $1 }.count <= 8)  // 4 swaps move at most 8 words
            case .delete:
                #expect(copy.count < words.count && copy.count >= 20)
                #expect(copy == words.filter(copy.contains))  // order kept
            case .insert:
                #expect(copy.count == words.count + 4)
            }
        }
        #expect(eda.augment(["only"], index: 0) == Array(repeating: ["only"], count: 6))
    }

    @Test func copiesFollowEDAsAdviceBySize() {
        #expect(EasyDataAugmentation.recommended(forTrainingTexts: 500, seed: 1).copies == 16)
        #expect(EasyDataAugmentation.recommended(forTrainingTexts: 2_000, seed: 1).copies == 8)
        #expect(EasyDataAugmentation.recommended(forTrainingTexts: 20_000, seed: 1).rate == 0.1)
    }
}
