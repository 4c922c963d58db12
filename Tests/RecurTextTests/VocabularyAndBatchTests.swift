import Foundation
import Testing

@testable import RecurText

@Suite struct VocabularyTests {
    let documents = [["a", "b", "a"], ["c", "b", "a", "<unk>"], ["d"], ["e", "e"]]

    @Test func buildOrderMinCountAndMaxSize() throws {
        let vocabulary = Vocabulary.build(from: documents)
        // a:3, b:2, e:2 (b seen first), c:1, d:1 (c seen first).
        #expect(vocabulary.tokens == ["<pad>", "<unk>", "a", "b", "e", "c", "d"])
        #expect(vocabulary.id(for: "<pad>") == 0)
        #expect(vocabulary.id(for: "<unk>") == 1)
        #expect(vocabulary.id(for: "e") == 4)
        #expect(vocabulary.id(for: "zzz") == Vocabulary.unknownID)
        #expect(Vocabulary.build(from: documents, minCount: 2).tokens == ["<pad>", "<unk>", "a", "b", "e"])
        #expect(Vocabulary.build(from: documents, maxSize: 3).tokens == ["<pad>", "<unk>", "a"])
        #expect(vocabulary.encode(["a", "x", "d", "b"], maxLength: 3) == [2, 1, 6])
        #expect(vocabulary.encode([]) == [Vocabulary.unknownID])
    }

    @Test func saveAndLoad() throws {
        let dir = try TempDirectory()
        let vocabulary = Vocabulary.build(from: documents + [["中文", "é"]])
        let path = dir.path("vocab.txt")
        try vocabulary.write(to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8).hasPrefix("<pad>\n<unk>\na\n"))
        #expect(try Vocabulary.load(from: path) == vocabulary)
    }

    @Test func badVocabularyFiles() throws {
        let dir = try TempDirectory()
        let cases: [(String, Int?, String)] = [
            ("<pad>\n<unk>\na\n\nb\n", 4, "empty line"),
            ("<pad>\n<unk>\na\nb\na\n", 5, "already appears on line 3"),
            ("<unk>\n<pad>\na\n", 1, "expected <pad>"),
            ("", nil, "not a vocabulary"),
        ]
        for (index, (text, line, message)) in cases.enumerated() {
            let path = try dir.write("v\(index).txt", text)
            let error = textDataError { _ = try Vocabulary.load(from: path) }
            #expect(error?.file == path)
            #expect(error?.line == line)
            #expect(error?.message.contains(message) == true, "\(String(describing: error))")
        }
        let invalid = try dir.write("bin.txt", bytes: Array("<pad>\n<unk>\n".utf8) + [0xFF, 0x0A])
        #expect(textDataError { _ = try Vocabulary.load(from: invalid) }?.line == 3)
    }
}

@Suite struct BatchingTests {
    func sequences(_ count: Int) -> [[Int32]] {
        var generator = Xoshiro256StarStar(seed: 99)
        return (0..<count).map { index in (0..<(1 + generator.uniform(below: 9))).map { Int32(index * 100 + $0 + 2) } }
    }

    @Test func everyExampleOncePaddedAndTimeMajor() {
        let data = sequences(23)
        let labels = (0..<23).map { Int32($0 % 2) }
        let batcher = BucketBatcher(lengths: data.map(\.count), batchSize: 4, seed: 5, bucketMultiplier: 2)
        let batches = batcher.batches(epoch: 0, sequences: data, labels: labels)
        #expect(batches.map(\.batchSize).sorted() == [3, 4, 4, 4, 4, 4])
        #expect(batches.flatMap(\.exampleIndices).sorted() == Array(0..<23))
        for batch in batches {
            #expect(batch.maxLength == batch.lengths.map(Int.init).max())
            #expect(batch.tokenIDs.count == batch.maxLength * batch.batchSize)
            #expect(batch.lengths == batch.lengths.sorted(by: >))
            for (b, index) in batch.exampleIndices.enumerated() {
                #expect(batch.labels[b] == labels[index])
                #expect(Int(batch.lengths[b]) == data[index].count)
                for t in 0..<batch.maxLength {
                    let expected = t < data[index].count ? data[index][t] : Vocabulary.padID
                    #expect(batch.tokenIDs[t * batch.batchSize + b] == expected)
                    #expect(batch[t, b] == expected)
                }
            }
        }
    }

    @Test func bucketingReducesPaddingAndIsDeterministic() {
        let data = sequences(400)
        let lengths = data.map(\.count)
        let batcher = BucketBatcher(lengths: lengths, batchSize: 8, seed: 11)
        let epoch0 = batcher.batchIndices(epoch: 0)
        #expect(batcher.batchIndices(epoch: 0) == epoch0)
        #expect(BucketBatcher(lengths: lengths, batchSize: 8, seed: 11).batchIndices(epoch: 0) == epoch0)
        #expect(batcher.batchIndices(epoch: 1) != epoch0)
        #expect(BucketBatcher(lengths: lengths, batchSize: 8, seed: 12).batchIndices(epoch: 0) != epoch0)
        // All 400 fit in one bucket chunk: batches hold sequences of (nearly) one length.
        let padding = epoch0.reduce(0) { sum, batch in
            let longest = batch.map { lengths[$0] }.max()!
            return sum + batch.reduce(0) { $0 + longest - lengths[$1] }
        }
        #expect(padding <= 8 * 9)
        #expect(epoch0.flatMap { $0 }.sorted() == Array(0..<400))

        let dropped = BucketBatcher(lengths: Array(lengths.prefix(21)), batchSize: 8, seed: 1, dropLast: true)
        #expect(dropped.batchIndices(epoch: 0).map(\.count) == [8, 8])
        let ordered = BucketBatcher(lengths: [3, 1, 2, 5], batchSize: 2, seed: 1, bucketMultiplier: 1, shuffle: false)
        #expect(ordered.batchIndices(epoch: 3) == [[0, 1], [3, 2]])
    }
}

@Suite struct PipelineTests {
    @Test func textWithoutTokensIsABadRow() throws {
        let examples = [
            LabeledExample(text: "Great <b>film</b>!", label: "pos", source: TextLocation(file: "f.csv", line: 2)),
            LabeledExample(text: "<br /> https://spam.example ", label: "neg", source: TextLocation(file: "f.csv", line: 3)),
            LabeledExample(text: "Dull, dull, dull.", label: "neg", source: TextLocation(file: "f.csv", line: 4)),
        ]
        let pipeline = try TextPipeline(TextPipelineConfig(maxLength: 3))
        let error = textDataError { _ = try pipeline.tokenize(examples) }
        #expect(error?.description == "f.csv:3: no tokens left after cleaning")
        let tokenized = try pipeline.tokenize(examples, skipBadRows: true)
        #expect(tokenized.tokens == [["great", "film", "!"], ["dull", ",", "dull", ",", "dull", "."]])
        #expect(tokenized.badRows.skippedRows == 1)
        let vocabulary = Vocabulary.build(from: tokenized.tokens)
        let encoded = try pipeline.encode(tokenized, vocabulary: vocabulary, labels: LabelSet(inferringFrom: examples))
        #expect(encoded.lengths == [3, 3])
        #expect(encoded.labels == [1, 0])
        #expect(encoded.sources.map(\.line) == [2, 4])
        #expect(pipeline.encode("", vocabulary: vocabulary) == [Vocabulary.unknownID])

        let config = try JSONDecoder().decode(TextPipelineConfig.self, from: JSONEncoder().encode(pipeline.config))
        #expect(config == pipeline.config)
    }
}

extension PipelineTests {
    /// A start token goes before every text, inside --max-len, and never makes an empty text non-empty.
    @Test func startTokenIsPrependedWithinMaxLength() throws {
        let vocabulary = try Vocabulary(tokens: ["<pad>", "<unk>", "<eos>", "good", "film"])
        let pipeline = try TextPipeline(TextPipelineConfig(maxLength: 2, startToken: "<eos>"))
        #expect(pipeline.encode("Good film", vocabulary: vocabulary) == [2, 3])
        #expect(pipeline.encode("", vocabulary: vocabulary) == [Vocabulary.unknownID])
        let examples = [LabeledExample(text: "film", label: "pos", source: TextLocation(file: "f.csv", line: 2))]
        let encoded = try pipeline.encode(pipeline.tokenize(examples), vocabulary: vocabulary,
                                          labels: LabelSet(inferringFrom: examples))
        #expect(encoded.sequences == [[2, 4]])
        // Saved with the run, and absent from configs written before it existed.
        let config = try JSONDecoder().decode(TextPipelineConfig.self, from: JSONEncoder().encode(pipeline.config))
        #expect(config.startToken == "<eos>")
        let older = try JSONEncoder().encode(TextPipelineConfig())
        #expect(!String(decoding: older, as: UTF8.self).contains("startToken"))
        #expect(try JSONDecoder().decode(TextPipelineConfig.self, from: older).startToken == nil)
    }
}

@Test func balancedSampleIsSeededBalancedAndInFileOrder() throws {
    let examples = (0..<300).map { i in
        LabeledExample(text: "t\(i)", label: i % 3 == 0 ? "neg" : "pos", source: TextLocation(file: "f", line: i + 1))
    }
    let sample = try balancedSample(examples, count: 51, seed: 4)
    #expect(sample.count == 51)
    #expect(sample.filter { $0.label == "neg" }.count == 26)
    #expect(sample.map(\.source.line) == sample.map(\.source.line).sorted())
    #expect(try balancedSample(examples, count: 51, seed: 4) == sample)
    #expect(try balancedSample(examples, count: 51, seed: 5) != sample)
    #expect(throws: TextDataError.self) { try balancedSample(examples, count: 250, seed: 1) }
}

extension PipelineTests {
    /// A long text keeps its first, its last, or its first quarter and last three quarters of --max-len tokens;
    /// a short one is read whole either way.
    @Test func truncationKeepsHeadTailOrBoth() throws {
        let words = (0..<10).map { "w\($0)" }
        let vocabulary = try Vocabulary(tokens: ["<pad>", "<unk>"] + words)
        let text = words.joined(separator: " ")
        func encoded(_ truncation: Truncation?, maxLength: Int = 8) throws -> [Int32] {
            try TextPipeline(TextPipelineConfig(maxLength: maxLength, truncation: truncation)).encode(text, vocabulary: vocabulary)
        }
        #expect(try encoded(nil) == Array(2...9))
        #expect(try encoded(.head) == Array(2...9))
        #expect(try encoded(.tail) == Array(4...11))
        #expect(try encoded(.headTail) == [2, 3] + Array(6...11))
        #expect(try encoded(.headTail, maxLength: 3) == Array(9...11))
        #expect(try encoded(.tail, maxLength: 20) == Array(2...11))
        // Configs saved before the option decode as head.
        let old = try JSONDecoder().decode(TextPipelineConfig.self, from: Data(#"{"cleaning":{},"tokenizer":{"kind":"words"},"maxLength":8}"#.utf8))
        #expect(old.truncation == nil && old.maxLength == 8)
    }
}

extension PipelineTests {
    /// With word n-grams the words are truncated first and their n-grams follow them, so no n-gram spans a
    /// word that was cut, and the start token is not used.
    @Test func wordNgramsFollowTheTruncatedWords() throws {
        #expect(TextPipeline.appendingNgrams(to: ["a", "b", "c"], upTo: 3) == ["a", "b", "c", "a b", "b c", "a b c"])
        #expect(TextPipeline.appendingNgrams(to: ["a"], upTo: 2) == ["a"])
        let pipeline = try TextPipeline(TextPipelineConfig(maxLength: 3, startToken: "<eos>", wordNgrams: 2))
        let tokens = pipeline.tokens(for: "Not good, not bad")
        #expect(tokens == ["not", "good", ",", "not good", "good ,"])
        let vocabulary = try Vocabulary(tokens: ["<pad>", "<unk>", "not", "good", "not good"])
        #expect(pipeline.encode(tokens: tokens, vocabulary: vocabulary) == [2, 3, 1, 4, 1])
        // Configs saved before n-grams decode without them.
        let old = try JSONDecoder().decode(TextPipelineConfig.self, from: Data(#"{"cleaning":{},"tokenizer":{"kind":"words"}}"#.utf8))
        #expect(old.wordNgrams == nil)
    }
}
