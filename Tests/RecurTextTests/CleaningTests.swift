import Foundation
import Testing

@testable import RecurText

@Suite struct CleaningTests {
    @Test func htmlTagsAndEntities() {
        let cleaner = TextCleaner()
        #expect(
            cleaner.clean("I loved it.<br /><br />Really &amp; truly &lt;3 &#39;yes&#39; &#x4E2D;&nbsp;文 &quot;Q&quot; &eacute;")
                == "i loved it. really & truly <3 'yes' 中 文 \"q\" é")
        // A decoded entity is text, not a tag; a bare "<" in text survives; unknown entities stay as written.
        #expect(cleaner.clean("&lt;b&gt;bold&lt;/b&gt; a < b > c &bogus; &#0; AT&T") == "<b>bold</b> a < b > c &bogus; &#0; at&t")
        #expect(cleaner.clean("x<!-- hidden -->y<p class=\"z\">w</p>") == "x y w")
        // cp1252 numeric references, as HTML5 reads them.
        #expect(cleaner.clean("it&#151;s") == "it\u{2014}s")
    }

    @Test func urls() {
        var options = CleaningOptions()
        #expect(TextCleaner(options).clean("see https://example.com/a?b=1. Now") == "see . now")
        options.urls = .token
        #expect(TextCleaner(options).clean("See HTTP://Example.com/A, www.abc.com很好") == "see <url> , <url> 很好")
        options.urls = .keep
        #expect(TextCleaner(options).clean("https://x.org") == "https://x.org")
        // "www." must start a word.
        #expect(TextCleaner().clean("awww.nice") == "awww.nice")
    }

    @Test func fullWidthWhitespaceAndCase() {
        #expect(TextCleaner().clean("  ＡＢＣ１２３！　好\t\n 的\u{FEFF} ") == "abc123! 好 的")
        var options = CleaningOptions.none
        #expect(TextCleaner(options).clean(" A<br>&amp;Ｂ ") == " A<br>&amp;Ｂ ")
        options.fullWidthToHalfWidth = true
        #expect(TextCleaner(options).clean("ＡＢ～") == "AB~")
    }

    @Test func optionsRoundTripAndDefaultMissingKeys() throws {
        var options = CleaningOptions()
        options.lowercase = false
        options.urls = .token
        let data = try JSONEncoder().encode(options)
        #expect(try JSONDecoder().decode(CleaningOptions.self, from: data) == options)
        let partial = try JSONDecoder().decode(CleaningOptions.self, from: Data(#"{"lowercase": false}"#.utf8))
        #expect(partial.lowercase == false)
        #expect(partial.stripHTMLTags == true)
        #expect(partial.urls == .remove)
    }
}

@Suite struct TokenizerTests {
    @Test func wordsOnEnglish() {
        let words = WordTokenizer()
        #expect(words.tokenize(TextCleaner().clean("Don't stop!")) == ["don't", "stop", "!"])
        #expect(words.tokenize("rock 'n' roll, O’Brien's \"best\"...") == ["rock", "'", "n", "'", "roll", ",", "O’Brien's", "\"", "best", "\"", ".", ".", "."])
        #expect(words.tokenize("café naïve 3.5 well-known") == ["café", "naïve", "3", ".", "5", "well", "-", "known"])
        #expect(words.tokenize("good👍🏽 see <url> now") == ["good", "👍🏽", "see", "<url>", "now"])
    }

    @Test func wordsOnMixedChineseAndEnglish() {
        let words = WordTokenizer()
        #expect(words.tokenize("我爱iPhone 15, it's 很好!") == ["我", "爱", "iPhone", "15", ",", "it's", "很", "好", "!"])
        #expect(words.tokenize(TextCleaner().clean("房间很大，ＷＩＦＩ不错。")) == ["房", "间", "很", "大", ",", "wifi", "不", "错", "。"])
    }

    @Test func characters() {
        #expect(CharacterTokenizer().tokenize("我 爱\tab!") == ["我", "爱", "a", "b", "!"])
        #expect(CharacterTokenizer().tokenize("e\u{301}<url>") == ["e\u{301}", "<url>"])
    }

    static let dictionaryText = """
        我 123402 r
        来到 3423 v
        北京 34488 ns
        清华 3 nt
        清华大学 2053 nt
        华大 3
        大学 20025 n
        会议 2000 n
        很好 3000
        iphone 50 n

        """

    @Test func chineseWordSegmentation() throws {
        let dir = try TempDirectory()
        let path = try dir.write("dict.txt", Self.dictionaryText)
        let dictionary = try SegmentationDictionary(contentsOfFile: path)
        #expect(dictionary.wordCount == 10)
        #expect(dictionary.frequency(of: "清华大") == 0)  // a prefix, not a word
        let tokenizer = ChineseWordTokenizer(dictionary: dictionary)
        #expect(tokenizer.tokenize("我来到北京清华大学") == ["我", "来到", "北京", "清华大学"])
        // Unknown characters are single words; ASCII runs stay together; punctuation and spaces split.
        #expect(tokenizer.tokenize("他来到北京，iphone6很好 ok") == ["他", "来到", "北京", "，", "iphone", "6", "很好", "ok"])
        #expect(tokenizer.tokenize("6.18会议") == ["6", ".", "18", "会议"])
        #expect(tokenizer.tokenize("去<url>看") == ["去", "<url>", "看"])

        // With 清华 and 大学 much more likely than 清华大学 the path splits them.
        let other = ChineseWordTokenizer(
            dictionary: SegmentationDictionary(words: [("清华", 5000), ("大学", 5000), ("清华大学", 1), ("华大", 1), ("我", 10)]))
        #expect(other.tokenize("我清华大学") == ["我", "清华", "大学"])
    }

    @Test func badDictionaryLineIsAnError() throws {
        let dir = try TempDirectory()
        let path = try dir.write("dict.txt", "我 10\n来到 many\n")
        let error = textDataError { _ = try SegmentationDictionary(contentsOfFile: path) }
        #expect(error?.file == path)
        #expect(error?.line == 2)
        #expect(error?.message.contains("many") == true)
    }

    @Test func configBuildsTokenizersWithStopwords() throws {
        let dir = try TempDirectory()
        let dictionary = try dir.write("dict.txt", Self.dictionaryText)
        let stopwords = try dir.write("stop.txt", "的\n  the \n\n")
        let config = TokenizerConfig(kind: .zhWords, dictionary: dictionary, stopwords: stopwords)
        let data = try JSONEncoder().encode(config)
        #expect(String(decoding: data, as: UTF8.self).contains("\"zh-words\""))
        let decoded = try JSONDecoder().decode(TokenizerConfig.self, from: data)
        #expect(decoded == config)
        #expect(try decoded.makeTokenizer().tokenize("我的北京") == ["我", "北京"])
        #expect(try TokenizerConfig(kind: .words, stopwords: stopwords).makeTokenizer().tokenize("the end") == ["end"])
        #expect(throws: TextDataError.self) { try TokenizerConfig(kind: .zhWords).makeTokenizer() }
    }
}
