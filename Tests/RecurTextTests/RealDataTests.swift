import Foundation
import Testing

@testable import RecurText

/// Reads slices of the real datasets in `../shared/data` (next to the package root). Without the data the
/// tests are skipped, unless RECUR_REQUIRE_DATA=1, when they run and fail.
enum SharedData {
    static let directory: URL = {
        if let override = ProcessInfo.processInfo.environment["RECUR_DATA_DIR"] { return URL(fileURLWithPath: override) }
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return packageRoot.deletingLastPathComponent().appendingPathComponent("shared/data")
    }()

    static var present: Bool { FileManager.default.fileExists(atPath: directory.path) }
    static var required: Bool { ProcessInfo.processInfo.environment["RECUR_REQUIRE_DATA"] == "1" }
    static var shouldRun: Bool { present || required }

    static func path(_ relative: String) -> String { directory.appendingPathComponent(relative).path }
}

@Suite(.enabled(if: SharedData.shouldRun, "../shared/data not found (set RECUR_REQUIRE_DATA=1 to make this a failure)"))
struct RealDataTests {
    @Test func dataIsPresent() {
        #expect(SharedData.present, "RECUR_REQUIRE_DATA=1 but \(SharedData.directory.path) does not exist")
    }

    @Test func chnSentiCorpFirst200Lines() throws {
        let dir = try TempDirectory()
        let source = try String(contentsOfFile: SharedData.path("chnsenticorp/train.tsv"), encoding: .utf8)
        let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
        // The first 200 lines, plus the first two texts that start with an unbalanced quote (lines 944, 4242).
        let quoted = lines.filter { $0.hasPrefix("1\t\"") || $0.hasPrefix("0\t\"") }.prefix(2)
        let path = try dir.write("train.tsv", (lines.prefix(200) + quoted).joined(separator: "\n") + "\n")
        let result = try DelimitedReader().read(path: path)
        #expect(result.examples.count == 201)
        #expect(result.badRows.skippedRows == 0)
        #expect(Set(result.examples.map(\.label)) == ["0", "1"])
        #expect(result.examples[0].text.hasPrefix("选择珠江花园的原因就是方便"))
        // Each text that starts with an unbalanced quote stays one row.
        #expect(result.examples[199].text.hasPrefix("\"此期间预订"))
        #expect(result.examples[200].text.hasPrefix("\"PC卡插槽1 x Express扩展卡插槽\"为什么"))
        let tokens = WordTokenizer().tokenize(TextCleaner().clean(result.examples[200].text))
        #expect(tokens.prefix(6) == ["\"", "pc", "卡", "插", "槽", "1"])
        #expect(try LabelSet(inferringFrom: result.examples).validateForTraining(result.examples).allSatisfy { $0 > 50 })
    }

    @Test func chnSentiCorpTestLabelWithSpaces() throws {
        let result = try DelimitedReader(options: ReadOptions(knownLabels: LabelSet(names: ["0", "1"]))).read(path: SharedData.path("chnsenticorp/test.tsv"))
        #expect(result.examples.count == 1200)
        #expect(result.examples.filter { $0.label == "1" }.count == 602)
        #expect(result.examples.first { $0.source.line == 420 }?.label == "0")
    }

    @Test func rtPolarityIsCp1252() throws {
        let files = [
            ClassFile(label: "pos", path: SharedData.path("rt-polarity/rt-polarity.pos")),
            ClassFile(label: "neg", path: SharedData.path("rt-polarity/rt-polarity.neg")),
        ]
        // Not UTF-8: reading it as such fails on a named line instead of inventing characters.
        let error = textDataError { _ = try ClassFileReader(files: files).read() }
        #expect(error?.file?.hasSuffix("rt-polarity.pos") == true)
        #expect((error?.line ?? 0) > 0)

        let result = try ClassFileReader(files: files, options: ReadOptions(encoding: .cp1252)).read()
        #expect(result.examples.filter { $0.label == "pos" }.count == 5331)
        #expect(result.examples.filter { $0.label == "neg" }.count == 5331)
        #expect(result.examples.contains { $0.text.contains("é") })
        #expect(result.examples.contains { $0.text.contains("\u{2014}") })
        let parts = try stratifiedSplit(result.examples, fractions: [0.9, 0.1], seed: 1)
        #expect(parts.map(\.count) == [9596, 1066])
    }

    @Test func hotelCSVHasOneEmptyReview() throws {
        let result = try DelimitedReader(options: ReadOptions(skipBadRows: true)).read(path: SharedData.path("chnsenticorp_htl_all/ChnSentiCorp_htl_all.csv"))
        #expect(result.examples.count == 7765)
        #expect(result.badRows.skippedRows == 1)
        #expect(result.badRows.firstReasons.first?.message == "empty text")
        #expect(result.examples[0].text.contains("\"蔡陆线\""))
    }

    @Test func sst2TestLabeledHasCRLF() throws {
        let result = try DelimitedReader().read(path: SharedData.path("sst2/test-labeled.tsv"))
        #expect(result.examples.count == 1821)
        #expect(result.examples.allSatisfy { !$0.text.contains("\r") && ($0.label == "0" || $0.label == "1") })
    }
}
