import Foundation
import RecurText
import Testing

/// BERT's WordPiece tokenizer against Hugging Face's slow BertTokenizer: `Fixtures/wordpiece.json` holds 1,000 real
/// texts (SST-2, rt-polarity, IMDB, ChnSentiCorp, online_shopping_10_cats) and a few edge cases with the ids (and, for
/// some, the pieces) that transformers' pure-Python tokenizer gives over `Fixtures/minilm-vocab.txt`
/// (all-MiniLM-L6-v2's vocabulary); its header records the settings.
final class WordPieceTokenizerTests {
    private struct Fixture: Decodable {
        struct Header: Decodable {
            let do_lower_case: Bool
            let strip_accents: Bool?
            let tokenize_chinese_chars: Bool
            let max_length: Int
            let max_input_chars_per_word: Int
            let cls_id: Int32
            let sep_id: Int32
            let unk_id: Int32
            let pad_id: Int32
        }

        struct Entry: Decodable {
            let text: String
            let ids: [Int32]
            let tokens: [String]?
        }

        let tokenizer: Header
        let entries: [Entry]
        let edge_cases: [Entry]
    }

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appending(path: "Fixtures")
    private let fixture: Fixture
    let vocabulary: WordPieceVocabulary
    let tokenizer: WordPieceTokenizer
    /// This test's files, removed with it.
    private let scratch = FileManager.default.temporaryDirectory.appending(path: "recur-wordpiece-\(UUID().uuidString)")

    deinit { try? FileManager.default.removeItem(at: scratch) }

    init() throws {
        fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: Self.fixtures.appending(path: "wordpiece.json")))
        vocabulary = try WordPieceVocabulary.load(from: Self.fixtures.appending(path: "minilm-vocab.txt").path)
        let header = fixture.tokenizer
        tokenizer = WordPieceTokenizer(vocabulary: vocabulary, lowercase: header.do_lower_case, stripAccents: header.strip_accents,
                                       tokenizeChineseCharacters: header.tokenize_chinese_chars,
                                       maxCharactersPerWord: header.max_input_chars_per_word)
    }

    /// Exact comparison: Swift's `==` on strings is canonical equivalence, Python's is code point by code point.
    private func scalars(_ tokens: [String]) -> [[UInt32]] { tokens.map { $0.unicodeScalars.map(\.value) } }

    @Test func specialIDsMatchTheFixture() {
        #expect(vocabulary.count == 30522)
        #expect(vocabulary.classID == fixture.tokenizer.cls_id)
        #expect(vocabulary.separatorID == fixture.tokenizer.sep_id)
        #expect(vocabulary.unknownID == fixture.tokenizer.unk_id)
        #expect(vocabulary.padID == fixture.tokenizer.pad_id)
        #expect(vocabulary.maskID == 103)
    }

    @Test func idsMatchHuggingFace() {
        #expect(fixture.entries.count == 1000)
        let maxLength = fixture.tokenizer.max_length
        var mismatches = 0
        for (n, entry) in (fixture.entries + fixture.edge_cases).enumerated() {
            let ids = tokenizer.encode(entry.text, maxLength: maxLength)
            if ids != entry.ids {
                mismatches += 1
                if mismatches <= 5 { Issue.record("text \(n) \(entry.text.debugDescription): ids \(ids), Hugging Face \(entry.ids)") }
            }
            // encode is [CLS] + the first maxLength - 2 of pieceIDs + [SEP].
            let pieces = Array(tokenizer.pieceIDs(entry.text).prefix(maxLength - 2))
            #expect(ids == [vocabulary.classID] + pieces + [vocabulary.separatorID])
        }
        #expect(mismatches == 0)
    }

    @Test func tokensMatchHuggingFace() {
        let withTokens = (fixture.entries + fixture.edge_cases).filter { $0.tokens != nil }
        #expect(withTokens.count >= 200)
        var mismatches = 0
        for entry in withTokens {
            let tokens = tokenizer.tokenize(entry.text)
            if scalars(tokens) != scalars(entry.tokens!) {
                mismatches += 1
                if mismatches <= 5 { Issue.record("\(entry.text.debugDescription): \(tokens), Hugging Face \(entry.tokens!)") }
            }
        }
        #expect(mismatches == 0)
    }

    // Hand-written cases; the expected values are what BertTokenizer gives over the same vocabulary.

    @Test func lowercasesAndStripsAccents() {
        #expect(tokenizer.tokenize("Café") == ["cafe"])
        #expect(tokenizer.tokenize("naïve RÉSUMÉ") == ["naive", "resume"])
        #expect(tokenizer.encode("Café", maxLength: 128) == [101, 7668, 102])
        // Python's lower() gives capital sigma its final form at the end of a word; Swift's lowercased() does not.
        #expect(scalars(tokenizer.tokenize("ΟΔΟΣ")) == scalars(["ο", "##δ", "##ος"]))
        // "e" + combining acute is two code points; stripping the accent leaves "e".
        #expect(tokenizer.tokenize("e\u{301}") == ["e"])
    }

    @Test func splitsChineseCharactersAndPunctuation() {
        #expect(tokenizer.tokenize("北京大学") == ["北", "京", "大", "学"])
        #expect(tokenizer.tokenize("中文abc") == ["中", "文", "abc"])
        #expect(tokenizer.tokenize("Hello, world!") == ["hello", ",", "world", "!"])
        #expect(tokenizer.tokenize("don't stop...") == ["don", "'", "t", "stop", ".", ".", "."])
    }

    @Test func specialTokensInTheTextStayWhole() {
        #expect(tokenizer.tokenize("[CLS] literal [SEP]") == ["[CLS]", "literal", "[SEP]"])
        #expect(tokenizer.encode("[CLS] literal [SEP]", maxLength: 128) == [101, 101, 18204, 102, 102])
        #expect(tokenizer.tokenize("a[CLS]b") == ["a", "[CLS]", "b"])
        #expect(tokenizer.tokenize("a[cls]b") == ["a", "[", "cl", "##s", "]", "b"])
    }

    @Test func longWordsAndUnknownPiecesAreUnknown() throws {
        #expect(tokenizer.tokenize(String(repeating: "x", count: 101)) == ["[UNK]"])
        let hundred = tokenizer.tokenize("a" + String(repeating: "b", count: 99))
        #expect(hundred.first == "ab" && hundred.count == 50)

        let tiny = try WordPieceVocabulary(tokens: ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "un", "##aff", "##able", "q\u{301}", "##q\u{301}"])
        let small = WordPieceTokenizer(vocabulary: tiny)
        #expect(small.tokenize("unaffable") == ["un", "##aff", "##able"])
        #expect(small.pieceIDs("unaffable") == [4, 5, 6])
        // One piece without a match makes the whole word unknown, not just its tail.
        #expect(small.tokenize("unaffablex un") == ["[UNK]", "un"])
        // The word length limit counts code points, as Python's len does: "q\u{301}" is one Character but two.
        let kept = WordPieceTokenizer(vocabulary: tiny, lowercase: false, maxCharactersPerWord: 6)
        let limited = WordPieceTokenizer(vocabulary: tiny, lowercase: false, maxCharactersPerWord: 5)
        let word = String(repeating: "q\u{301}", count: 3)
        #expect(scalars(kept.tokenize(word)) == scalars(["q\u{301}", "##q\u{301}", "##q\u{301}"]))
        #expect(limited.tokenize(word) == ["[UNK]"])
    }

    @Test func truncationKeepsSeparatorLast() {
        let text = "the quick brown fox jumps over the lazy dog"
        #expect(tokenizer.encode(text, maxLength: 128) == [101, 1996, 4248, 2829, 4419, 14523, 2058, 1996, 13971, 3899, 102])
        let truncated = tokenizer.encode(text, maxLength: 5)
        #expect(truncated == [101, 1996, 4248, 2829, 102])
        #expect(truncated.last == vocabulary.separatorID)
        #expect(tokenizer.encode(text, maxLength: 2) == [101, 102])
        #expect(tokenizer.encode("", maxLength: 128) == [101, 102])
    }

    @Test func lookupsAreExactNotCanonicallyEquivalent() throws {
        let tiny = try WordPieceVocabulary(tokens: ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "\u{C5}"])
        #expect(tiny.id(of: "\u{C5}") == 4)
        // U+212B ANGSTROM SIGN == U+00C5 in Swift, but not in Python.
        #expect(tiny.id(of: "\u{212B}") == nil)
    }

    // MARK: - Files

    private func temporaryFile(_ name: String, _ bytes: [UInt8]) throws -> String {
        let folder = scratch.appending(path: UUID().uuidString)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let url = folder.appending(path: name)
        try Data(bytes).write(to: url)
        return url.path
    }

    @Test func vocabularyWithoutClassTokenNamesTheFile() throws {
        let path = try temporaryFile("vocab.txt", Array("[PAD]\n[UNK]\n[SEP]\nhello\n".utf8))
        do {
            _ = try WordPieceVocabulary.load(from: path)
            Issue.record("loading a vocabulary without [CLS] should fail")
        } catch let error as TextDataError {
            #expect(error.file == path)
            #expect(error.message.contains("[CLS]"))
            #expect(error.description.contains(path))
        }
    }

    @Test func vocabularyFileErrors() throws {
        let empty = try temporaryFile("vocab.txt", [])
        #expect(throws: TextDataError.self) { try WordPieceVocabulary.load(from: empty) }
        let invalid = try temporaryFile("vocab.txt", Array("[PAD]\n[UNK]\n".utf8) + [0xFF, 0x0A])
        do {
            _ = try WordPieceVocabulary.load(from: invalid)
            Issue.record("invalid UTF-8 should fail")
        } catch let error as TextDataError {
            #expect(error.file == invalid)
            #expect(error.line == 3)
        }
    }

    @Test func vocabularyReadsLikeLoadVocab() throws {
        // CRLF and LF both end lines; a repeated token keeps its last id; a space inside a token is kept.
        let path = try temporaryFile("vocab.txt", Array("[PAD]\r\n[UNK]\r\n[CLS]\n[SEP]\nhello\na b\nhello\n".utf8))
        let loaded = try WordPieceVocabulary.load(from: path)
        #expect(loaded.count == 7)
        #expect(loaded.tokens[5] == "a b")
        #expect(loaded.id(of: "hello") == 6)
        #expect([loaded.padID, loaded.unknownID, loaded.classID, loaded.separatorID] == [0, 1, 2, 3])
        #expect(loaded.maskID == nil)
    }

    @Test func readsTokenizerConfig() throws {
        let path = try temporaryFile("tokenizer_config.json", Array("""
            {"do_lower_case": false, "strip_accents": null, "tokenize_chinese_chars": false,
             "model_max_length": 1000000000000000019884624838656, "tokenizer_class": "BertTokenizer"}
            """.utf8))
        let config = try WordPieceTokenizerConfig.read(tokenizerConfig: URL(fileURLWithPath: path))
        #expect(config == WordPieceTokenizerConfig(lowercase: false, stripAccents: nil, tokenizeChineseCharacters: false, maxLength: 512))
        let minilm = try temporaryFile("tokenizer_config.json", Array(#"{"do_lower_case": true, "model_max_length": 256}"#.utf8))
        #expect(try WordPieceTokenizerConfig.read(tokenizerConfig: URL(fileURLWithPath: minilm)).maxLength == 256)
        let missing = URL(fileURLWithPath: path).deletingLastPathComponent().appending(path: "absent.json")
        #expect(try WordPieceTokenizerConfig.read(tokenizerConfig: missing) == WordPieceTokenizerConfig())
    }
}
