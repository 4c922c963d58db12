import Foundation
import Recur
import RecurCore
import RecurText
import Testing

/// `--vectors`: pretrained vectors overwrite exactly the rows of the words they cover.
struct EmbeddingVectorsTests {
    @Test func vectorsReplaceCoveredRowsOnly() throws {
        let backend = CPUBackend()
        let vocabulary = try Vocabulary(tokens: ["<pad>", "<unk>", "good", "bad", "plot"])
        let file = FileManager.default.temporaryDirectory.appending(path: "recur-vectors-\(UUID().uuidString).txt")
        defer { try? FileManager.default.removeItem(at: file) }
        try "2 3\nGood 1 2 3\nbad 4 5 6\n".write(to: file, atomically: true, encoding: .utf8)
        let vectors = try WordVectors.load(path: file.path, for: vocabulary)
        var initializer = WeightInitializer(seed: 1)
        let embedding = try Embedding(name: "embedding.weight", vocabularySize: 5, dimension: 3, paddingIndex: 0,
                                      initializer: &initializer, on: backend)
        let before = try backend.download(embedding.weight.value)
        try embedding.initialize(from: vectors, on: backend)
        let after = try backend.download(embedding.weight.value)
        #expect(Array(after[0..<3]) == [0, 0, 0])
        #expect(Array(after[3..<6]) == Array(before[3..<6]))  // <unk> keeps its initialisation.
        #expect(Array(after[6..<12]) == [1, 2, 3, 4, 5, 6])    // "good" by lower-casing, "bad" exactly.
        #expect(Array(after[12..<15]) == Array(before[12..<15]))

        let wide = try Embedding(name: "embedding.weight", vocabularySize: 5, dimension: 4, paddingIndex: 0,
                                 initializer: &initializer, on: backend)
        #expect { try wide.initialize(from: vectors, on: backend) } throws: { error in
            "\(error)".contains("3-d vectors but the embedding dimension is 4")
        }
    }
}
