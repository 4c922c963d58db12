import Foundation
import Testing

@testable import RecurText

@Suite struct WordVectorsTests {
    /// A vocabulary of `tokens` after `<pad>`, `<unk>`.
    func vocabulary(_ tokens: [String]) throws -> Vocabulary {
        try Vocabulary(tokens: [Vocabulary.padToken, Vocabulary.unknownToken] + tokens)
    }

    /// The vector loaded for `token`, or nil when it has none.
    func row(_ vectors: WordVectors, _ token: String, in vocabulary: Vocabulary) -> [Float]? {
        vectors.vector(for: vocabulary.id(for: token)).map(Array.init)
    }

    @Test func word2vecHeaderAndRowsInVocabularyOrder() throws {
        let dir = try TempDirectory()
        let path = try dir.write("vectors.txt", "4 3\nthe 0.1 0.2 0.3\ngood 1 2 3\nunused 9 9 9\nbad\t-1.5  0\t2e-1 \t\n")
        let vocab = try vocabulary(["bad", "film", "good", "the"])
        let vectors = try WordVectors.load(path: path, for: vocab)
        #expect(vectors.dimension == 3)
        #expect(vectors.declaredCount == 4)
        #expect(vectors.vectorsInFile == 4)
        #expect(vectors.found == [false, false, true, false, true, true])
        // Rows follow vocabulary ids, not file order; tokens without a vector and <pad>, <unk> stay zero.
        #expect(vectors.values == [0, 0, 0, 0, 0, 0, -1.5, 0, 0.2, 0, 0, 0, 1, 2, 3, 0.1, 0.2, 0.3])
        #expect(row(vectors, "the", in: vocab) == [0.1, 0.2, 0.3])
        #expect(row(vectors, "film", in: vocab) == nil)
        #expect(vectors.tokensSearched == 4)
        #expect(vectors.tokensFound == 3)
        #expect(vectors.summary == "vectors: 3-d, 4 in file; 3 of 4 vocabulary tokens found (75.0%; 0 by lower-casing)")
    }

    @Test func gloveWithoutHeaderTakesTheDimensionFromTheFirstVector() throws {
        let dir = try TempDirectory()
        let path = try dir.write("glove.txt", "the 0.5 -0.25\r\n\r\ngood 1e-3 4\r\n")
        let vocab = try vocabulary(["good", "the"])
        let vectors = try WordVectors.load(path: path, for: vocab)
        #expect(vectors.dimension == 2)
        #expect(vectors.declaredCount == nil)
        #expect(vectors.vectorsInFile == 2)
        #expect(row(vectors, "the", in: vocab) == [0.5, -0.25])
        #expect(row(vectors, "good", in: vocab) == [0.001, 4])
    }

    @Test func gzipFile() throws {
        let dir = try TempDirectory()
        let path = try dir.write("vectors.vec", "2 2\nhello 1.25 -2\nworld 3 4.5\n")
        try run(["gzip", "-k", path])
        let vocab = try vocabulary(["world", "hello"])
        let vectors = try WordVectors.load(path: path + ".gz", for: vocab)
        #expect(vectors.values == [0, 0, 0, 0, 3, 4.5, 1.25, -2])
        #expect(vectors.file == path + ".gz")
    }

    @Test func exactMatchWinsOverLowerCasingWhateverTheOrder() throws {
        let dir = try TempDirectory()
        let path = try dir.write(
            "cased.vec",
            "Paris 1 1\nparis 2 2\napple 3 3\nApple 4 4\nBERLIN 5 5\nBerlin 6 6\n<unk> 7 7\n<PAD> 8 8\nÉté 9 9\n")
        let vocab = try vocabulary(["paris", "apple", "berlin", "été", "rome"])
        let vectors = try WordVectors.load(path: path, for: vocab)
        #expect(row(vectors, "paris", in: vocab) == [2, 2])  // exact after a cased one
        #expect(row(vectors, "apple", in: vocab) == [3, 3])  // exact before a cased one
        #expect(row(vectors, "berlin", in: vocab) == [5, 5])  // no exact: the first cased one
        #expect(row(vectors, "été", in: vocab) == [9, 9])
        #expect(row(vectors, "rome", in: vocab) == nil)
        // The file's <unk> does not become the vector of Recur's <unk>, and <pad> stays zero.
        #expect(vectors.found[0] == false && vectors.found[1] == false)
        #expect(vectors.values[0..<4].allSatisfy { $0 == 0 })
        #expect(vectors.tokensFound == 4)
        #expect(vectors.tokensFoundByLowercasing == 2)
        #expect(vectors.vectorsInFile == 9)
    }

    @Test func coverageCountsAndSummary() throws {
        let dir = try TempDirectory()
        // 1,500 vocabulary tokens; the file has 1,100 of them as is, 100 capitalised, and 2,000 others.
        let tokens = (0..<1500).map { "w\($0)" }
        var text = "3200 2\n"
        for i in 0..<1100 { text += "w\(i) \(i) 0.5\n" }
        for i in 1100..<1200 { text += "W\(i) \(i) -0.5\n" }
        for i in 0..<2000 { text += "other\(i) 0 0\n" }
        let path = try dir.write("big.txt", text)
        let vocab = try vocabulary(tokens)
        let vectors = try WordVectors.load(path: path, for: vocab)
        #expect(vectors.vectorsInFile == 3200)
        #expect(vectors.tokensSearched == 1500)
        #expect(vectors.tokensFound == 1200)
        #expect(vectors.tokensFoundByLowercasing == 100)
        #expect(vectors.coverage == 0.8)
        #expect(row(vectors, "w1099", in: vocab) == [1099, 0.5])
        #expect(row(vectors, "w1150", in: vocab) == [1150, -0.5])
        #expect(row(vectors, "w1200", in: vocab) == nil)
        #expect(vectors.summary == "vectors: 2-d, 3,200 in file; 1,200 of 1,500 vocabulary tokens found (80.0%; 100 by lower-casing)")
    }

    @Test func wrongNumberOfValuesNamesFileAndLine() throws {
        let dir = try TempDirectory()
        let vocab = try vocabulary(["a", "b"])
        let short = try dir.write("vectors.txt", "a 1 2 3\nb 4 5 6\nzzz 1 2\n")
        let error = textDataError { _ = try WordVectors.load(path: short, for: vocab) }
        #expect(error?.file == short)
        #expect(error?.line == 3)
        #expect(error?.description == "\(short):3: 2 values, expected 3 (the dimension set by line 1)")

        // Too many values is an error too, even on a line whose token is not in the vocabulary.
        let long = try dir.write("long.txt", "2 2\na 1 2\nzzz 1 2 3\n")
        let tooMany = textDataError { _ = try WordVectors.load(path: long, for: vocab) }
        #expect(tooMany?.line == 3)
        #expect(tooMany?.message == "3 values, expected 2 (the dimension set by the header on line 1)")

        let notANumber = try dir.write("nan.txt", "a 1 2\nb 1 x\n")
        let bad = textDataError { _ = try WordVectors.load(path: notANumber, for: vocab) }
        #expect(bad?.line == 2)
        #expect(bad?.message == "value 2 of \"b\" is not a finite number: \"x\"")
        let infinite = try dir.write("inf.txt", "a 1 nan\n")
        #expect(textDataError { _ = try WordVectors.load(path: infinite, for: vocab) }?.line == 1)
    }

    @Test func headerDimensionMustMatchTheVectors() throws {
        let dir = try TempDirectory()
        let path = try dir.write("mismatch.vec", "2 300\nthe 1 2 3\nfilm 4 5 6\n")
        let error = textDataError { _ = try WordVectors.load(path: path, for: try vocabulary(["the"])) }
        #expect(error?.file == path)
        #expect(error?.line == 2)
        #expect(error?.message == "3 values, expected 300 (the dimension set by the header on line 1)")

        let zero = try dir.write("zero.vec", "2 0\n")
        #expect(textDataError { _ = try WordVectors.load(path: zero, for: try vocabulary(["the"])) }?.line == 1)
    }

    /// Found by scripts/fuzz.sh: a header's dimension was believed and a vocabulary-sized table of that many
    /// floats allocated (a trap for 10^16).
    @Test func anAbsurdDimensionIsAnErrorNotAnAllocation() throws {
        let dir = try TempDirectory()
        let path = try dir.write("absurd.vec", "1 40000000000000000\nthe 1 2 3\n")
        let error = textDataError { _ = try WordVectors.load(path: path, for: try vocabulary(["the"])) }
        #expect(error?.line == 1)
        #expect(error?.message == "a dimension of 40000000000000000 is beyond 65536: not word vectors, or a corrupt header")
        let wide = try dir.write("wide.vec", "the " + Array(repeating: "1", count: 70_000).joined(separator: " ") + "\n")
        #expect(textDataError { _ = try WordVectors.load(path: wide, for: try vocabulary(["the"])) }?.line == 1)
    }

    @Test func tokensWithSpacesAsInGlove840B() throws {
        let dir = try TempDirectory()
        let path = try dir.write("glove.840B.txt", "good 1 2\n. . . 3 4\nno\u{A0}break 5 6\n")
        let vocab = try vocabulary(["good", ". . .", "no\u{A0}break"])
        let vectors = try WordVectors.load(path: path, for: vocab)
        #expect(vectors.vectorsInFile == 3)
        #expect(row(vectors, ". . .", in: vocab) == [3, 4])
        #expect(row(vectors, "no\u{A0}break", in: vocab) == [5, 6])
    }

    @Test func encodingLatin1AndUndecodableUTF8() throws {
        let dir = try TempDirectory()
        let bytes = Array("good 1 2\ncaf".utf8) + [0xE9] + Array(" 0.5 0.25\n".utf8)
        let path = try dir.write("latin1.txt", bytes: bytes)
        let vocab = try vocabulary(["café", "good"])
        let vectors = try WordVectors.load(path: path, for: vocab, encoding: .latin1)
        #expect(row(vectors, "café", in: vocab) == [0.5, 0.25])
        #expect(row(vectors, "good", in: vocab) == [1, 2])

        let error = textDataError { _ = try WordVectors.load(path: path, for: vocab) }
        #expect(error?.file == path)
        #expect(error?.line == 2)
        #expect(error?.message.contains("invalid UTF-8") == true)
        #expect(error?.description.hasPrefix("\(path):2: ") == true)
    }

    @Test func emptyFilesAndFilesWithoutVectors() throws {
        let dir = try TempDirectory()
        let vocab = try vocabulary(["a"])
        for (name, text) in [("empty.txt", ""), ("blank.txt", "\n  \n")] {
            let error = textDataError { _ = try WordVectors.load(path: try dir.write(name, text), for: vocab) }
            #expect(error?.file?.hasSuffix(name) == true)
            #expect(error?.line == nil)
            #expect(error?.message.hasPrefix("empty file") == true)
        }
        let headerOnly = try dir.write("header.vec", "0 300\n")
        let error = textDataError { _ = try WordVectors.load(path: headerOnly, for: vocab) }
        #expect(error?.message == "no vectors after the header (it announces 0)")
        let noValues = try dir.write("novalues.txt", "a\n")
        #expect(textDataError { _ = try WordVectors.load(path: noValues, for: vocab) }?.line == 1)
        #expect(textDataError { _ = try WordVectors.load(path: dir.path("missing.txt"), for: vocab) }?.message == "no such file")
    }

    @Test func dimensionCheckNamesTheOption() throws {
        let dir = try TempDirectory()
        let path = try dir.write("vectors.txt", "1 3\nthe 1 2 3\n")
        let vectors = try WordVectors.load(path: path, for: try vocabulary(["the"]))
        try vectors.check(dimension: 3)
        let error = textDataError { try vectors.check(dimension: 128) }
        #expect(error?.description == "\(path): has 3-d vectors but the embedding dimension is 128: pass --embedding-dim 3")
        let other = textDataError { try vectors.check(dimension: 64, option: "--dim") }
        #expect(other?.message.hasSuffix("pass --dim 3") == true)
    }
}
