import Foundation
import Testing

@testable import RecurText

@Suite struct OtherReaderTests {
    @Test func jsonLinesGoodAndBad() throws {
        let dir = try TempDirectory()
        let path = try dir.write(
            "data.jsonl",
            """
            {"text": "great film", "label": "pos"}
            {"text": "dull", "label": 0}

            {"text": "ok", "label": 1.0, "extra": [1, 2]}
            {"text": "broken", "label":
            {"label": "pos"}
            {"text": 5, "label": "pos"}
            {"text": "bool", "label": true}
            [1, 2]
            {"text": "fine again", "sentiment": "neg", "label": "neg"}

            """)
        let error = textDataError { _ = try JSONLinesReader().read(path: path) }
        #expect(error?.line == 5)
        #expect(error?.message == "invalid JSON")

        let result = try JSONLinesReader(options: ReadOptions(skipBadRows: true, maxReportedReasons: 10)).read(path: path)
        #expect(result.examples.map(\.text) == ["great film", "dull", "ok", "fine again"])
        #expect(result.examples.map(\.label) == ["pos", "0", "1", "neg"])
        #expect(result.examples.map(\.source.line) == [1, 2, 4, 10])
        #expect(result.badRows.skippedRows == 5)
        #expect(result.badRows.blankLines == 1)
        #expect(result.badRows.firstReasons.map(\.line) == [5, 6, 7, 8, 9])
        #expect(result.badRows.firstReasons[1].message == "missing field \"text\"")
        #expect(result.badRows.firstReasons[2].message == "field \"text\" is not a string")
        #expect(result.badRows.firstReasons[3].message.contains("boolean"))
        #expect(result.badRows.firstReasons[4].message.contains("expected an object"))

        let otherFields = try JSONLinesReader(textField: "text", labelField: "sentiment", options: ReadOptions(skipBadRows: true)).read(path: path)
        #expect(otherFields.examples.map(\.label) == ["neg"])
    }

    @Test func oneFilePerClass() throws {
        let dir = try TempDirectory()
        let pos = try dir.write("rt.pos", bytes: Array("a fine film \n\nsimply gr".utf8) + [0xE9] + Array("at \n".utf8))
        let neg = try dir.write("rt.neg", "dull \nboring\n")
        let files = [try ClassFile(argument: "pos=\(pos)"), ClassFile(label: "neg", path: neg)]
        let utf8Error = textDataError { _ = try ClassFileReader(files: files).read() }
        #expect(utf8Error?.file == pos)
        #expect(utf8Error?.line == 3)

        let result = try ClassFileReader(files: files, options: ReadOptions(encoding: .cp1252)).read()
        #expect(result.examples.map(\.text) == ["a fine film ", "simply gréat ", "dull ", "boring"])
        #expect(result.examples.map(\.label) == ["pos", "pos", "neg", "neg"])
        #expect(result.examples.map(\.source.line) == [1, 3, 1, 2])
        #expect(result.badRows.blankLines == 1)
        #expect(result.summary.hasPrefix("4 examples (neg: 2, pos: 2)"))
        #expect(throws: TextDataError.self) { try ClassFile(argument: "nolabel") }
    }

    @Test func oneFolderPerClass() throws {
        let dir = try TempDirectory()
        try dir.write("train/pos/1_9.txt", "Loved it.<br /><br />Really.")
        try dir.write("train/pos/10_8.txt", "Great")
        try dir.write("train/neg/3_1.txt", "Bad")
        try dir.write("train/neg/.DS_Store", "junk")
        try dir.write("train/unsup/5_0.txt", "whatever")
        let root = dir.path("train")
        let result = try ClassFolderReader(directory: root, classes: ["pos", "neg"]).read()
        #expect(result.examples.map(\.text) == ["Loved it.<br /><br />Really.", "Great", "Bad"])
        #expect(result.examples.map(\.label) == ["pos", "pos", "neg"])
        #expect(result.examples[1].source.file.hasSuffix("pos/10_8.txt"))
        #expect(result.ignoredFolders == ["unsup"])

        let all = try ClassFolderReader(directory: root).read()
        #expect(Set(all.examples.map(\.label)) == ["pos", "neg", "unsup"])
        let missing = textDataError { _ = try ClassFolderReader(directory: root, classes: ["pos", "neutral"]).read() }
        #expect(missing?.message.contains("no class folder \"neutral\"") == true)

        #expect(LabeledDataSource.infer(path: root) == .classFolders(directory: root, classes: nil))
        #expect(LabeledDataSource.infer(path: "a.jsonl") == .jsonLines(path: "a.jsonl", textField: "text", labelField: "label"))
    }

    @Test func plainTextStreamsCompressedFiles() throws {
        let dir = try TempDirectory()
        var text = ""
        for i in 0..<5000 { text += i % 1000 == 999 ? "\n" : "document number \(i) with some words\n" }
        let path = try dir.write("corpus.txt", text)
        try run(["gzip", "-k", path])
        try run(["xz", "-k", path])
        for file in [path, path + ".gz", path + ".xz"] {
            var count = 0
            var last = ""
            var lastLine = 0
            let log = try PlainTextReader(path: file).forEachLine { line, location in
                count += 1
                last = line
                lastLine = location.line
            }
            #expect(count == 4995)
            #expect(last == "document number 4998 with some words")
            #expect(lastLine == 4999)
            #expect(log.blankLines == 5)
        }
        let (lines, _) = try PlainTextReader(path: path + ".gz").readAll()
        #expect(lines.first == "document number 0 with some words")
    }

    @Test func readersStopEarlyWithoutHanging() throws {
        // Throwing out of a streamed .xz must terminate the child process, not wait for it forever.
        let dir = try TempDirectory()
        let path = try dir.write("big.txt", String(repeating: "line\n", count: 200_000))
        try run(["xz", "-k", path])
        struct Stop: Error {}
        #expect(throws: Stop.self) {
            try PlainTextReader(path: path + ".xz").forEachLine { _, location in
                if location.line == 10 { throw Stop() }
            }
        }
    }
}
