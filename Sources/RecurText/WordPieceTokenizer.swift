import Foundation

/// A BERT WordPiece vocabulary (`vocab.txt`), read as Hugging Face's `load_vocab` reads it, so a pretrained
/// encoder sees exactly the ids it was trained on.
///
/// Lookups compare tokens scalar by scalar. Swift's `String ==` (and so `[String: Int32]`) treats canonically
/// equivalent strings as equal, Python does not: in a String-keyed map two equivalent entries (U+212B ANGSTROM
/// SIGN and U+00C5, a precomposed Hangul syllable and its jamo) would collapse into one, and a piece could
/// find an entry that BERT's dict lookup misses.
public struct WordPieceVocabulary: Sendable {
    public static let padToken = "[PAD]"
    public static let unknownToken = "[UNK]"
    public static let classToken = "[CLS]"
    public static let separatorToken = "[SEP]"
    public static let maskToken = "[MASK]"
    /// BertTokenizer's special tokens; a literal one in the text stays one token.
    static let specialTokens = [padToken, unknownToken, classToken, separatorToken, maskToken]

    /// Tokens in id order (line n of `vocab.txt` is id n - 1), repeats included.
    public let tokens: [String]
    public let padID: Int32
    public let unknownID: Int32
    public let classID: Int32
    public let separatorID: Int32
    /// `[MASK]`'s id; encoders need it only for masked-language-model training.
    public let maskID: Int32?
    /// Whole tokens, and `##` continuation tokens without their prefix (so a piece is looked up without
    /// building `"##" + piece`).
    let initialPieces: PieceTable
    let continuationPieces: PieceTable

    /// Tokens in id order. A repeated token gets its last id, as `load_vocab`'s `vocab[token] = index` does.
    /// `file` only names the source in errors.
    public init(tokens: [String], file: String? = nil) throws {
        var initialEntries: [(key: ArraySlice<UInt8>, scalarCount: Int, value: Int32)] = []
        var continuationEntries: [(key: ArraySlice<UInt8>, scalarCount: Int, value: Int32)] = []
        initialEntries.reserveCapacity(tokens.count)
        for (id, token) in tokens.enumerated() {
            guard let value = Int32(exactly: id) else {
                throw TextDataError(file: file, line: nil, "the vocabulary has more than \(Int32.max) tokens")
            }
            let bytes = Array(token.utf8)
            let scalarCount = token.unicodeScalars.count
            initialEntries.append((bytes[...], scalarCount, value))
            if bytes.count > 2, bytes[0] == 0x23, bytes[1] == 0x23 {
                continuationEntries.append((bytes[2...], scalarCount - 2, value))
            }
        }
        let initial = PieceTable(initialEntries)
        let continuation = PieceTable(continuationEntries)
        func required(_ token: String) throws -> Int32 {
            guard let id = initial.lookup(token) else {
                throw TextDataError(
                    file: file, line: nil,
                    "not a BERT vocabulary: it has no \(token) token (it needs \(Self.padToken), \(Self.unknownToken), \(Self.classToken) and \(Self.separatorToken))")
            }
            return id
        }
        padID = try required(Self.padToken)
        unknownID = try required(Self.unknownToken)
        classID = try required(Self.classToken)
        separatorID = try required(Self.separatorToken)
        maskID = initial.lookup(Self.maskToken)
        self.tokens = tokens
        initialPieces = initial
        continuationPieces = continuation
    }

    /// Reads Hugging Face's `vocab.txt`: UTF-8, one token per line. As Python's text mode does, `\n`, `\r\n`
    /// and `\r` all end a line and nothing else is stripped, so a token may hold spaces or be empty.
    public static func load(from path: String) throws -> WordPieceVocabulary {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TextDataError(file: path, line: nil, "cannot read the vocabulary file")
        }
        if data.isEmpty { throw TextDataError(file: path, line: nil, "the vocabulary file is empty") }
        let bytes = [UInt8](data)
        var tokens: [String] = []
        var start = 0, i = 0
        func take(_ end: Int) throws {
            guard let token = String(validating: bytes[start..<end], as: UTF8.self) else {
                throw TextDataError(file: path, line: tokens.count + 1, "the vocabulary is not valid UTF-8")
            }
            tokens.append(token)
        }
        while i < bytes.count {
            if bytes[i] == 0x0A || bytes[i] == 0x0D {
                try take(i)
                i += bytes[i] == 0x0D && i + 1 < bytes.count && bytes[i + 1] == 0x0A ? 2 : 1
                start = i
            } else {
                i += 1
            }
        }
        if start < bytes.count { try take(bytes.count) }
        return try WordPieceVocabulary(tokens: tokens, file: path)
    }

    public var count: Int { tokens.count }

    /// The id of exactly this token (scalar for scalar), or nil.
    public func id(of token: String) -> Int32? { initialPieces.lookup(token) }

    public subscript(token: String) -> Int32? { id(of: token) }
}

/// BERT's tokenizer: Hugging Face's slow `BertTokenizer` (BasicTokenizer, then greedy longest-match-first
/// WordPiece), reproduced code point for code point so that ids match what a pretrained encoder expects.
///
/// Like Python it works on Unicode scalars, never on Swift `Character`s: "e\u{301}" is two code points to
/// BERT. Character classes come from Swift's Unicode tables, usually a newer Unicode than Python's
/// `unicodedata`; characters assigned after `unicodeVersion` are treated as unassigned (category Cn), which
/// BERT's cleaning drops, so those match too.
public struct WordPieceTokenizer: Tokenizer {
    public let vocabulary: WordPieceVocabulary
    public let lowercase: Bool
    /// nil: strip accents exactly when lowercasing, as original BERT does.
    public let stripAccents: Bool?
    public let tokenizeChineseCharacters: Bool
    /// Longer words (in code points) become `[UNK]` whole.
    public let maxCharactersPerWord: Int
    /// The Unicode version of the Python whose tokenizer is matched: 14.0 is Python 3.11's (3.12: 15.0,
    /// 3.13: 15.1, 3.14: 16.0).
    public let unicodeVersion: Unicode.Version

    private let removesAccents: Bool
    /// The special tokens' scalars and ids; the id is `[UNK]`'s when the vocabulary lacks the token, as
    /// Hugging Face's lookup falls back.
    private let specials: [(scalars: [Unicode.Scalar], token: String, id: Int32)]

    public init(
        vocabulary: WordPieceVocabulary, lowercase: Bool = true, stripAccents: Bool? = nil,
        tokenizeChineseCharacters: Bool = true, maxCharactersPerWord: Int = 100, unicodeVersion: Unicode.Version = (14, 0)
    ) {
        self.vocabulary = vocabulary
        self.lowercase = lowercase
        self.stripAccents = stripAccents
        self.tokenizeChineseCharacters = tokenizeChineseCharacters
        self.maxCharactersPerWord = maxCharactersPerWord
        self.unicodeVersion = unicodeVersion
        removesAccents = stripAccents ?? lowercase
        specials = WordPieceVocabulary.specialTokens.map {
            (Array($0.unicodeScalars), $0, vocabulary.id(of: $0) ?? vocabulary.unknownID)
        }
    }

    /// The word pieces of `text`, without `[CLS]` / `[SEP]`.
    public func tokenize(_ text: String) -> [String] {
        var tokens: [String] = []
        forEachPiece(in: text, limit: .max) { id, literal in tokens.append(literal ?? vocabulary.tokens[Int(id)]) }
        return tokens
    }

    /// The ids of `text`'s pieces, without `[CLS]` / `[SEP]`.
    public func pieceIDs(_ text: String) -> [Int32] {
        var ids: [Int32] = []
        forEachPiece(in: text, limit: .max) { id, _ in ids.append(id) }
        return ids
    }

    /// `[CLS]`, the first `maxLength - 2` pieces, `[SEP]`: what `tokenizer(text, truncation=True,
    /// max_length=maxLength)["input_ids"]` gives. Tokenizing stops once the limit is reached.
    public func encode(_ text: String, maxLength: Int) -> [Int32] {
        precondition(maxLength >= 2, "maxLength must leave room for [CLS] and [SEP]")
        var ids: [Int32] = [vocabulary.classID]
        forEachPiece(in: text, limit: maxLength - 2) { id, _ in ids.append(id) }
        ids.append(vocabulary.separatorID)
        return ids
    }

    // MARK: - Pipeline

    /// Calls `body` with each piece's id, in order, at most `limit` times. `literal` is the token's text when
    /// it is a special token written in the input (it may be missing from the vocabulary).
    func forEachPiece(in text: String, limit: Int, _ body: (Int32, String?) -> Void) {
        guard limit > 0 else { return }
        var state = PieceState(limit: limit)
        // Hugging Face first splits the raw text on its special tokens (PreTrainedTokenizer.tokenize); the
        // segments between them are tokenized on their own.
        let scalars = Array(text.unicodeScalars)
        var segmentStart = 0
        var i = 0
        while i < scalars.count {
            if scalars[i] == "[", let special = specials.first(where: { scalars[i...].starts(with: $0.scalars) }) {
                basicTokenize(scalars[segmentStart..<i], &state, body)
                if state.full { return }
                body(special.id, special.token)
                state.count += 1
                if state.full { return }
                i += special.scalars.count
                segmentStart = i
            } else {
                i += 1
            }
        }
        basicTokenize(scalars[segmentStart...], &state, body)
    }

    /// BasicTokenizer.tokenize on one segment, handing each word to WordPiece.
    private func basicTokenize(_ segment: ArraySlice<Unicode.Scalar>, _ state: inout PieceState, _ body: (Int32, String?) -> Void) {
        if segment.isEmpty { return }
        // _clean_text and _tokenize_chinese_chars.
        var text: [Unicode.Scalar] = []
        text.reserveCapacity(segment.count)
        var composable = false  // Anything NFC could change.
        for scalar in segment {
            let v = scalar.value
            if v < 0x80 {
                if v == 0x20 || v == 0x09 || v == 0x0A || v == 0x0D {
                    text.append(" ")
                } else if v >= 0x20 && v != 0x7F {
                    text.append(scalar)
                }  // Else a control character (NUL included): dropped.
                continue
            }
            if v == 0xFFFD { continue }
            // Unassigned in Python's Unicode: category Cn, dropped.
            guard let age = scalar.properties.age, age.major < unicodeVersion.major
                || (age.major == unicodeVersion.major && age.minor <= unicodeVersion.minor) else { continue }
            switch scalar.properties.generalCategory {
            case .control, .format, .surrogate, .privateUse, .unassigned: continue
            case .spaceSeparator: text.append(" "); continue
            default: break
            }
            if tokenizeChineseCharacters && Self.isChineseCharacter(v) {
                text.append(" ")
                text.append(scalar)
                text.append(" ")
            } else {
                text.append(scalar)
            }
            if !Self.isNFCInert(v) { composable = true }
        }
        // unicodedata.normalize("NFC", text), then split on Python's whitespace (after cleaning only the
        // space and U+2028 / U+2029 are left).
        if composable { text = Self.normalized(text, composed: true) }
        var start = 0
        for end in 0...text.count {
            if end < text.count {
                let v = text[end].value
                guard v == 0x20 || v == 0x2028 || v == 0x2029 else { continue }
            }
            if end > start {
                word(text[start..<end], &state, body)
                if state.full { return }
            }
            start = end + 1
        }
    }

    /// One whitespace-separated token: case and accents, punctuation split, WordPiece.
    private func word(_ token: ArraySlice<Unicode.Scalar>, _ state: inout PieceState, _ body: (Int32, String?) -> Void) {
        // A special token that cleaning produced (e.g. from "[CL\u{200B}S]") is in `never_split`: neither
        // lowercased nor split, but still run through WordPiece.
        if token.first == "[", specials.contains(where: { token.elementsEqual($0.scalars) }) {
            return wordPiece(token, &state, body)
        }
        var scalars: [Unicode.Scalar]
        if lowercase {
            scalars = Self.pythonLowercased(token)
        } else {
            scalars = Array(token)
        }
        if removesAccents { Self.stripAccents(&scalars, unicodeVersion: unicodeVersion) }
        // _run_split_on_punc: every punctuation character is a token of its own.
        var start = 0
        for (i, scalar) in scalars.enumerated() where Self.isPunctuation(scalar) {
            if i > start {
                wordPiece(scalars[start..<i], &state, body)
                if state.full { return }
            }
            wordPiece(scalars[i..<(i + 1)], &state, body)
            if state.full { return }
            start = i + 1
        }
        if start < scalars.count { wordPiece(scalars[start...], &state, body) }
    }

    /// WordpieceTokenizer.tokenize on one word: greedy longest match first, `##` marking non-initial pieces;
    /// a word with any unmatched remainder, or longer than `maxCharactersPerWord`, is one `[UNK]`.
    private func wordPiece(_ word: ArraySlice<Unicode.Scalar>, _ state: inout PieceState, _ body: (Int32, String?) -> Void) {
        if word.count > maxCharactersPerWord {
            body(vocabulary.unknownID, nil)
            state.count += 1
            return
        }
        // UTF-8 of the word and where each scalar starts in it, so a candidate piece is a byte range. The
        // buffers are moved out of `state` while in use, and back for the next word.
        var bytes = state.bytes, offsets = state.offsets, ids = state.ids
        state.bytes = []; state.offsets = []; state.ids = []
        defer { (state.bytes, state.offsets, state.ids) = (bytes, offsets, ids) }
        bytes.removeAll(keepingCapacity: true)
        offsets.removeAll(keepingCapacity: true)
        ids.removeAll(keepingCapacity: true)
        for scalar in word {
            offsets.append(bytes.count)
            UTF8.encode(scalar) { bytes.append($0) }
        }
        offsets.append(bytes.count)
        let n = word.count
        let initial = vocabulary.initialPieces, continuation = vocabulary.continuationPieces
        let bad = bytes.withUnsafeBufferPointer { bytes -> Bool in
            var start = 0
            while start < n {
                let table = start == 0 ? initial : continuation
                var end = min(n, start + table.longestKey)
                var found: Int32?
                while end > start {
                    if let id = table.lookup(UnsafeBufferPointer(rebasing: bytes[offsets[start]..<offsets[end]])) {
                        found = id
                        break
                    }
                    end -= 1
                }
                guard let found else { return true }
                ids.append(found)
                start = end
            }
            return false
        }
        if bad {
            body(vocabulary.unknownID, nil)
            state.count += 1
            return
        }
        for id in ids {
            body(id, nil)
            state.count += 1
            if state.full { return }
        }
    }

    // MARK: - Character classes, as Python's unicodedata answers them

    /// _is_chinese_char: the CJK Unified Ideographs blocks (not Hangul, Hiragana or Katakana).
    static func isChineseCharacter(_ v: UInt32) -> Bool {
        (0x4E00...0x9FFF).contains(v) || (0x3400...0x4DBF).contains(v) || (0x20000...0x2A6DF).contains(v)
            || (0x2A700...0x2B73F).contains(v) || (0x2B740...0x2B81F).contains(v) || (0x2B820...0x2CEAF).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0x2F800...0x2FA1F).contains(v)
    }

    /// _is_punctuation: all non-alphanumeric printable ASCII (so `$`, `^`, `` ` `` too), plus Unicode's P*.
    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        if v < 0x80 { return (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v) }
        switch scalar.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
             .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }

    /// Python's `str.lower()`: full lowercase mappings (U+0130 becomes "i\u{307}"), and capital sigma becomes
    /// final sigma at the end of a word (Unicode's Final_Sigma context), which Swift's `lowercased()` skips.
    static func pythonLowercased(_ token: ArraySlice<Unicode.Scalar>) -> [Unicode.Scalar] {
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(token.count)
        for i in token.indices {
            let scalar = token[i]
            let v = scalar.value
            if v < 0x80 {
                result.append(v >= 0x41 && v <= 0x5A ? Unicode.Scalar(UInt8(v + 0x20)) : scalar)
            } else if v == 0x3A3 {
                result.append(isFinalSigma(token, at: i) ? "\u{3C2}" : "\u{3C3}")
            } else if scalar.properties.changesWhenLowercased {
                result.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
            } else {
                result.append(scalar)
            }
        }
        return result
    }

    /// CPython's handle_capital_sigma: a cased letter before (skipping case-ignorables) and none after.
    private static func isFinalSigma(_ token: ArraySlice<Unicode.Scalar>, at i: Int) -> Bool {
        var j = i - 1
        while j >= token.startIndex && token[j].properties.isCaseIgnorable { j -= 1 }
        guard j >= token.startIndex, token[j].properties.isCased else { return false }
        j = i + 1
        while j < token.endIndex && token[j].properties.isCaseIgnorable { j += 1 }
        return j == token.endIndex || !token[j].properties.isCased
    }

    /// _run_strip_accents: NFD, then drop nonspacing marks (Mn).
    static func stripAccents(_ scalars: inout [Unicode.Scalar], unicodeVersion: Unicode.Version) {
        guard scalars.contains(where: { !isNFDInert($0.value) }) else { return }
        scalars = normalized(scalars, composed: false)
        // The one assigned character whose Mn-ness changed since Unicode 14 (Mn until 16.0, then Mc).
        let ahomMedialRaIsMn = unicodeVersion.major < 16
        scalars.removeAll {
            $0.value >= 0x300 && ($0.properties.generalCategory == .nonspacingMark || ($0.value == 0x1171E && ahomMedialRaIsMn))
        }
    }

    /// Characters that neither NFC nor NFD changes, that never combine with a neighbour and are not marks, so
    /// text made only of them skips Foundation's normalization: nothing below U+00C0 decomposes, nothing below
    /// U+0300 composes with what precedes it, and some common blocks (general punctuation, CJK symbols, CJK
    /// ideographs, fullwidth forms) are inert too. Checked against Python's unicodedata for every code point.
    static func isNFDInert(_ v: UInt32) -> Bool { v < 0xC0 || isInertBlock(v) }
    static func isNFCInert(_ v: UInt32) -> Bool { v < 0x300 || isInertBlock(v) }

    private static func isInertBlock(_ v: UInt32) -> Bool {
        (0x4E00...0x9FFF).contains(v) || (0x3400...0x4DBF).contains(v) || (0x3000...0x3029).contains(v)
            || (0x2010...0x2027).contains(v) || (0x2030...0x205E).contains(v) || (0xFF00...0xFFEF).contains(v)
            || (0x20000...0x2A6DF).contains(v) || (0x2A700...0x2EBEF).contains(v)
    }

    /// NFC or NFD of a scalar sequence, through Foundation.
    static func normalized(_ scalars: [Unicode.Scalar], composed: Bool) -> [Unicode.Scalar] {
        var string = String()
        string.unicodeScalars.append(contentsOf: scalars)
        let result = composed ? string.precomposedStringWithCanonicalMapping : string.decomposedStringWithCanonicalMapping
        return Array(result.unicodeScalars)
    }
}

/// Scratch space reused across the words of one text, and the running piece count for truncation.
private struct PieceState {
    let limit: Int
    var count = 0
    var bytes: [UInt8] = []
    var offsets: [Int] = []
    var ids: [Int32] = []

    init(limit: Int) { self.limit = limit }

    var full: Bool { count >= limit }
}

/// An open-addressing hash table from UTF-8 byte strings to ids, compared byte for byte (see
/// `WordPieceVocabulary` for why not `[String: Int32]`); lookups take a byte range, so no String is built
/// per candidate piece. A class so that copying a vocabulary or tokenizer is one retain.
final class PieceTable: Sendable {
    private let keyBytes: [UInt8]
    private let keyStarts: [Int]
    private let values: [Int32]
    private let slots: [Int32]
    private let mask: Int
    /// The longest key, in scalars: no longer piece needs looking up.
    let longestKey: Int

    /// Keys in order; a later duplicate overwrites the earlier one's value.
    init(_ entries: [(key: ArraySlice<UInt8>, scalarCount: Int, value: Int32)]) {
        var size = 16
        while size < entries.count * 2 { size *= 2 }
        let mask = size - 1
        var slots = [Int32](repeating: -1, count: size)
        var keyBytes: [UInt8] = [], keyStarts = [0], values: [Int32] = []
        var longestKey = 0
        for (key, scalarCount, value) in entries {
            var slot = Self.hash(key) & mask
            var duplicate = false
            while slots[slot] >= 0 {
                let entry = Int(slots[slot])
                if keyBytes[keyStarts[entry]..<keyStarts[entry + 1]].elementsEqual(key) {
                    values[entry] = value
                    duplicate = true
                    break
                }
                slot = (slot + 1) & mask
            }
            if duplicate { continue }
            slots[slot] = Int32(values.count)
            keyBytes.append(contentsOf: key)
            keyStarts.append(keyBytes.count)
            values.append(value)
            longestKey = max(longestKey, scalarCount)
        }
        (self.keyBytes, self.keyStarts, self.values, self.slots, self.mask, self.longestKey) =
            (keyBytes, keyStarts, values, slots, mask, longestKey)
    }

    func lookup(_ key: UnsafeBufferPointer<UInt8>) -> Int32? {
        var slot = Self.hash(key) & mask
        return keyBytes.withUnsafeBufferPointer { bytes in
            while true {
                let entry = Int(slots[slot])
                if entry < 0 { return nil }
                let start = keyStarts[entry], count = keyStarts[entry + 1] - start
                if count == key.count && (count == 0 || memcmp(bytes.baseAddress! + start, key.baseAddress!, count) == 0) {
                    return values[entry]
                }
                slot = (slot + 1) & mask
            }
        }
    }

    func lookup(_ key: String) -> Int32? {
        Array(key.utf8).withUnsafeBufferPointer { lookup($0) }
    }

    /// FNV-1a: deterministic and cheap for short keys.
    private static func hash(_ bytes: some Sequence<UInt8>) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return Int(truncatingIfNeeded: h ^ (h >> 29))
    }
}

/// The tokenizer settings of a Hugging Face BERT model (`tokenizer_config.json`), saved in a run's config so
/// prediction tokenizes as the model was trained.
public struct WordPieceTokenizerConfig: Codable, Hashable, Sendable {
    public var lowercase: Bool
    /// nil: follow `lowercase`.
    public var stripAccents: Bool?
    public var tokenizeChineseCharacters: Bool
    /// Pieces per text, `[CLS]` and `[SEP]` included (BERT's position embeddings end at 512).
    public var maxLength: Int

    public static let defaultMaxLength = 512

    public init(lowercase: Bool = true, stripAccents: Bool? = nil, tokenizeChineseCharacters: Bool = true,
                maxLength: Int = defaultMaxLength) {
        self.lowercase = lowercase
        self.stripAccents = stripAccents
        self.tokenizeChineseCharacters = tokenizeChineseCharacters
        self.maxLength = maxLength
    }

    /// Reads `do_lower_case`, `strip_accents`, `tokenize_chinese_chars` and `model_max_length`; a missing file
    /// or key keeps BertTokenizer's default. A `model_max_length` that is Hugging Face's "no limit" sentinel
    /// (1e30) or out of range keeps 512. `do_basic_tokenize: false` is refused rather than ignored.
    public static func read(tokenizerConfig url: URL) throws -> WordPieceTokenizerConfig {
        var config = WordPieceTokenizerConfig()
        guard FileManager.default.fileExists(atPath: url.path) else { return config }
        let file: TokenizerConfigFile
        do {
            file = try JSONDecoder().decode(TokenizerConfigFile.self, from: try Data(contentsOf: url))
        } catch {
            throw TextDataError(file: url.path, line: nil, "cannot read the tokenizer config: \(error)")
        }
        if file.do_basic_tokenize == false {
            throw TextDataError(
                file: url.path, line: nil, "do_basic_tokenize: false is not supported (only BERT's basic tokenization, then WordPiece)")
        }
        if let value = file.do_lower_case { config.lowercase = value }
        config.stripAccents = file.strip_accents
        if let value = file.tokenize_chinese_chars { config.tokenizeChineseCharacters = value }
        if let value = file.model_max_length, value >= 2, value <= 1_000_000 { config.maxLength = Int(value) }
        return config
    }

    /// The keys this reads; Hugging Face's files hold many more, which decoding ignores.
    private struct TokenizerConfigFile: Decodable {
        var do_lower_case: Bool?
        var strip_accents: Bool?
        var tokenize_chinese_chars: Bool?
        var do_basic_tokenize: Bool?
        /// A Double: "no limit" is saved as 1e30, beyond Int.
        var model_max_length: Double?
    }

    public func makeTokenizer(vocabulary: WordPieceVocabulary, maxCharactersPerWord: Int = 100) -> WordPieceTokenizer {
        WordPieceTokenizer(vocabulary: vocabulary, lowercase: lowercase, stripAccents: stripAccents,
                           tokenizeChineseCharacters: tokenizeChineseCharacters, maxCharactersPerWord: maxCharactersPerWord)
    }
}
