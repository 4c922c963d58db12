import Testing
@testable import RecurCore

@Test func embeddingGatherAndDeterministicScatterAdd() throws {
    let backend = CPUBackend()
    let vocabulary = 7, width = 21
    var random = SeededRandom(51)
    let weight = random.floats(vocabulary * width)
    let tokens: [Int32] = [3, 0, 3, 6, 1, 3, 0, 2]  // repeats, and padding index 0
    let gOut = random.floats(tokens.count * width)
    let initial = random.floats(vocabulary * width)

    let weightT = try backend.upload(weight, shape: [vocabulary, width])
    let tokensT = try backend.upload(tokens, shape: [tokens.count])
    let outputT = try backend.zeros([tokens.count, width], dtype: .float32)
    try backend.embeddingForward(weight: weightT, tokens: tokensT, output: outputT)
    let expectedRows = tokens.flatMap { Array(weight[(Int($0) * width)..<((Int($0) + 1) * width)]) }
    #expect(try backend.download(outputT) == expectedRows)

    // The gradient of Σ G·output w.r.t. the table, minus the padding row's contributions.
    var expected = initial.doubles
    for (n, token) in tokens.enumerated() where token != 0 {
        for c in 0..<width { expected[Int(token) * width + c] += Double(gOut[n * width + c]) }
    }
    var results: [[Float]] = []
    for _ in 0..<3 {
        let dWeightT = try backend.upload(initial, shape: [vocabulary, width])
        try backend.embeddingBackward(dOutput: try backend.upload(gOut, shape: [tokens.count, width]), tokens: tokensT,
                                      dWeight: dWeightT, paddingIndex: 0)
        results.append(try backend.download(dWeightT))
    }
    #expect(maxScaledError(results[0], expected) < 1e-6)
    #expect(results[0] == results[1] && results[1] == results[2])
}

@Test func embeddingRejectsTokensOutsideTheTable() throws {
    let backend = CPUBackend()
    let weight = try backend.zeros([4, 3], dtype: .float32)
    #expect(throws: BackendError.self) {
        try backend.embeddingForward(weight: weight, tokens: try backend.upload([Int32(4)], shape: [1]),
                                     output: try backend.zeros([1, 3], dtype: .float32))
    }
}
