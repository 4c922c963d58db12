import Foundation
import Testing

@testable import RecurText

@Suite struct DelimitedReaderTests {
    @Test func quotedFieldsWithCommasDoubledQuotesAndNewlines() throws {
        let dir = try TempDirectory()
        let path = try dir.write(
            "reviews.csv",
            "label,review\n"
                + "1,\"good, really good\"\n"
                + "0,\"he said \"\"meh\"\"\"\n"
                + "1,\"line one\nline two\"\n"
                + "0,plain \"inner\" quotes\n"
                + "1,\"\"\n")
        let error = textDataError { _ = try DelimitedReader().read(path: path) }
        #expect(error?.line == 7)
        #expect(error?.message == "empty text")

        let result = try DelimitedReader(options: ReadOptions(skipBadRows: true)).read(path: path)
        #expect(result.examples.map(\.text) == ["good, really good", "he said \"meh\"", "line one\nline two", "plain \"inner\" quotes"])
        #expect(result.examples.map(\.label) == ["1", "0", "1", "0"])
        // A record that spans two lines starts on line 4; the next one starts on line 6.
        #expect(result.examples.map(\.source.line) == [2, 3, 4, 6])
        #expect(result.badRows.skippedRows == 1)
        #expect(result.badRows.firstReasons.first?.line == 7)
    }

    @Test func crlfAndByteOrderMark() throws {
        let dir = try TempDirectory()
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("text,label\r\n\"a,\r\nb\",pos\r\nc,neg\r\n".utf8)
        let path = try dir.write("bom.csv", bytes: bytes)
        let result = try DelimitedReader().read(path: path)
        #expect(result.examples.map(\.text) == ["a,\nb", "c"])
        #expect(result.examples.map(\.label) == ["pos", "neg"])
        #expect(result.examples.map(\.source.line) == [2, 4])
    }

    @Test func columnsByNameAndIndex() throws {
        let dir = try TempDirectory()
        let withHeader = try dir.write("h.csv", "cat,label,review\n书籍,1,好书\n水果,0,不新鲜\n")
        let byName = try DelimitedReader(format: DelimitedFormat(textColumn: "review", labelColumn: "label")).read(path: withHeader)
        #expect(byName.examples.map(\.text) == ["好书", "不新鲜"])
        let byIndex = try DelimitedReader(format: DelimitedFormat(textColumn: 0, labelColumn: 1)).read(path: withHeader)
        #expect(byIndex.examples.map(\.text) == ["书籍", "水果"])
        let guessed = try DelimitedReader().read(path: withHeader)
        #expect(guessed.examples.map(\.label) == ["1", "0"])

        let noHeader = try dir.write("n.csv", "1,great\n0,awful\n")
        let read = try DelimitedReader(format: DelimitedFormat(hasHeader: false, textColumn: .index(1), labelColumn: .index(0))).read(path: noHeader)
        #expect(read.examples.map(\.text) == ["great", "awful"])
        #expect(read.examples.map(\.source.line) == [1, 2])

        let missing = textDataError { _ = try DelimitedReader(format: DelimitedFormat(textColumn: "body")).read(path: withHeader) }
        #expect(missing?.message.contains("no text column \"body\"") == true)
        #expect(missing?.message.contains("cat, label, review") == true)
        #expect(ColumnSelector(argument: "2") == .index(2))
        #expect(ColumnSelector(argument: "text_a") == .name("text_a"))
    }

    @Test func tsvTakesTabsAndLeavesQuotesAlone() throws {
        let dir = try TempDirectory()
        // ChnSentiCorp style: a text that starts with an unbalanced quote, and a label with spaces around it.
        let path = try dir.write("train.tsv", "label\ttext_a\n1\t\"此期间预订, 很好\n    0\t\"PC卡\"为什么\n")
        let result = try DelimitedReader().read(path: path)
        #expect(result.examples.map(\.text) == ["\"此期间预订, 很好", "\"PC卡\"为什么"])
        #expect(result.examples.map(\.label) == ["1", "0"])

        // Quoting can still be asked for in a TSV.
        let quoted = try dir.write("q.tsv", "text\tlabel\n\"a\tb\"\tx\n")
        let read = try DelimitedReader(format: DelimitedFormat(quoting: .rfc4180)).read(path: quoted)
        #expect(read.examples.map(\.text) == ["a\tb"])
        // And a given delimiter overrides the extension.
        let semi = try dir.write("s.txt", "text;label\nhi;x\n")
        #expect(try DelimitedReader(format: DelimitedFormat(delimiter: ";")).read(path: semi).examples.map(\.text) == ["hi"])
    }

    @Test func unterminatedQuoteNamesTheLineWhereItOpens() throws {
        let dir = try TempDirectory()
        let path = try dir.write("bad.csv", "text,label\nok,1\n\"never closed,0\nfine,1\nalso fine,0\n")
        let error = textDataError { _ = try DelimitedReader().read(path: path) }
        #expect(error?.file == path)
        #expect(error?.line == 3)
        #expect(error?.message.contains("unterminated quoted field") == true)
        #expect(error?.description.hasPrefix("\(path):3: ") == true)

        // Skipping loses only that row: the lines after it are read again.
        let result = try DelimitedReader(options: ReadOptions(skipBadRows: true)).read(path: path)
        #expect(result.examples.map(\.text) == ["ok", "fine", "also fine"])
        #expect(result.badRows.skippedRows == 1)
    }

    @Test func characterAfterClosingQuoteIsAnError() throws {
        let dir = try TempDirectory()
        let path = try dir.write("bad.csv", "text,label\n\"ab\"c,1\n")
        let error = textDataError { _ = try DelimitedReader().read(path: path) }
        #expect(error?.line == 2)
        #expect(error?.message.contains("after the closing quote") == true)
    }

    @Test func invalidUTF8NamesFileAndLine() throws {
        let dir = try TempDirectory()
        let bytes = Array("text,label\ngood,1\n".utf8) + [0x63, 0x61, 0x66, 0xE9, 0x2C, 0x31, 0x0A] + Array("more,0\n".utf8)
        let path = try dir.write("latin.csv", bytes: bytes)
        let error = textDataError { _ = try DelimitedReader().read(path: path) }
        #expect(error?.file == path)
        #expect(error?.line == 3)
        #expect(error?.message.contains("invalid UTF-8 at byte 4") == true)

        let skipped = try DelimitedReader(options: ReadOptions(skipBadRows: true)).read(path: path)
        #expect(skipped.examples.map(\.text) == ["good", "more"])
        #expect(skipped.badRows.skippedRows == 1)

        // The same bytes are fine as latin-1: 0xE9 is é.
        let latin = try DelimitedReader(options: ReadOptions(encoding: .latin1)).read(path: path)
        #expect(latin.examples.map(\.text) == ["good", "café", "more"])
    }

    @Test func encodingsDecodeHighBytes() {
        #expect(TextEncoding.latin1.decode([0x63, 0xE9, 0x97]) == "c\u{E9}\u{97}")
        #expect(TextEncoding.cp1252.decode([0x63, 0xE9, 0x97, 0x93, 0x80]) == "cé\u{2014}\u{201C}€")
        #expect(TextEncoding.utf8.decode([0xE4, 0xB8, 0xAD]) == "中")
        #expect(TextEncoding.utf8.decode([0xE4, 0xB8]) == nil)
        #expect(TextEncoding(name: "ISO-8859-1") == .latin1)
        #expect(TextEncoding(name: "windows-1252") == .cp1252)
        #expect(TextEncoding(name: "UTF8") == .utf8)
        #expect(TextEncoding(name: "ebcdic") == nil)
    }

    @Test func wrongColumnCountEmptyTextAndBlankLinesAreCounted() throws {
        let dir = try TempDirectory()
        let path = try dir.write("rows.csv", "text,label\na,1\n\nb,0,extra\n   ,1\nc\n\n  \nd,0\n")
        let error = textDataError { _ = try DelimitedReader().read(path: path) }
        #expect(error?.line == 4)
        #expect(error?.message == "expected 2 fields, found 3")

        let result = try DelimitedReader(options: ReadOptions(skipBadRows: true, maxReportedReasons: 2)).read(path: path)
        #expect(result.examples.map(\.text) == ["a", "d"])
        #expect(result.badRows.skippedRows == 3)
        #expect(result.badRows.firstReasons.map(\.line) == [4, 5])
        #expect(result.badRows.firstReasons.map(\.message) == ["expected 2 fields, found 3", "empty text"])
        #expect(result.badRows.blankLines == 3)
        #expect(result.badRows.description.contains("and 1 more"))
    }

    @Test func unknownLabelNamesFileLineAndLabel() throws {
        let dir = try TempDirectory()
        let path = try dir.write("test.csv", "text,label\nfine,1\nodd,2\n")
        let labels = try LabelSet(names: ["0", "1"])
        let error = textDataError { _ = try DelimitedReader(options: ReadOptions(knownLabels: labels)).read(path: path) }
        #expect(error?.file == path)
        #expect(error?.line == 3)
        #expect(error?.message.contains("unknown label \"2\"") == true)
    }

    @Test func readsGzipAndXz() throws {
        let dir = try TempDirectory()
        let path = try dir.write("data.tsv", "sentence\tlabel\nit works \t1\n")
        try run(["gzip", "-k", path])
        try run(["xz", "-k", path])
        for compressed in [path + ".gz", path + ".xz"] {
            let result = try DelimitedReader().read(path: compressed)
            #expect(result.examples.map(\.text) == ["it works "])
            #expect(result.examples.first?.source == TextLocation(file: compressed, line: 2))
        }
        // A corrupt archive is an error, not an empty dataset.
        let broken = try dir.write("broken.csv.gz", bytes: [0x1F, 0x8B, 0x08, 0x00, 0x01, 0x02])
        let error = textDataError { _ = try DelimitedReader().read(path: broken) }
        #expect(error?.message.contains("decompression failed") == true)
    }

    @Test func missingFileIsAnError() {
        let error = textDataError { _ = try DelimitedReader().read(path: "/nonexistent/x.csv") }
        #expect(error?.description == "/nonexistent/x.csv: no such file")
    }
}
