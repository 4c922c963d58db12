import Dispatch
import Testing
@testable import RecurCore

// The CPU backend's fused recurrent step (product and cell, unit block by unit block) against the same step
// unfused: `recurrentProduct` (the prepared GEMM) and then the cell op, each tested on its own elsewhere.
// The fused step runs the same micro-kernel over the same depth blocks, so the results must be identical.
// Sizes: hidden 64 (one depth block), 288 (two depth blocks of the product; a multiple of both kernels'
// panel widths, 16 and 32); batches that are not a multiple of the kernel's rows; rows ordered longest
// first with the ended ones left out of the product, and a step where every row has ended.

private struct StepCase: CustomTestStringConvertible, Sendable {
    let cell: String, hidden: Int, batch: Int, t: Int, int8: Bool
    var testDescription: String { "\(cell) H\(hidden) B\(batch) t\(t)\(int8 ? " int8" : "")" }
    var gateCount: Int { ["lstm": 4, "gru": 3, "rnn": 1][cell]! }
    /// Longest first, as `BucketBatcher` orders a batch.
    var lengths: [Int32] { (0..<batch).map { Int32(max(1, 6 - $0)) } }
    var activeRows: Int { lengths.filter { Int($0) > t }.count }
}

private let stepCases: [StepCase] = ["lstm", "gru", "rnn"].flatMap { cell in
    [StepCase(cell: cell, hidden: 64, batch: 7, t: 2, int8: false),
     StepCase(cell: cell, hidden: 288, batch: 13, t: 3, int8: false),
     StepCase(cell: cell, hidden: 64, batch: 5, t: 9, int8: false),
     StepCase(cell: cell, hidden: 64, batch: 7, t: 2, int8: true),
     StepCase(cell: cell, hidden: 288, batch: 13, t: 1, int8: true)]
}

@Test(arguments: stepCases)
private func fusedStepEqualsProductThenCell(_ step: StepCase) throws {
    let backend = CPUBackend()
    var random = SeededRandom(UInt64(step.hidden * 31 + step.batch * 7 + step.t))
    let (B, H, G) = (step.batch, step.hidden, step.gateCount * step.hidden)
    let weight = try backend.upload(random.floats(G * H, -0.2, 0.2), shape: [G, H])
    let recurrentWeight = step.int8
        ? try backend.prepareInt8GEMMOperand(weight.matrix, .transposed, k: H, n: G)
        : try backend.prepareGEMMOperand(weight.matrix, .transposed, k: H, n: G)
    let hPrev = try backend.upload(random.floats(B * H), shape: [B, H])
    let cPrev = try backend.upload(random.floats(B * H), shape: [B, H])
    let lengths = try backend.upload(step.lengths, shape: [B])
    let inputGates = random.floats(B * G, -2, 2), hiddenBias = random.floats(B * G, -0.5, 0.5)

    /// Runs one step, fused or not, and returns everything it wrote.
    func run(fused: Bool) throws -> [[Float]] {
        let gates = try backend.upload(inputGates, shape: [B, G])
        let hiddenGates = try backend.upload(hiddenBias, shape: [B, G])
        let cNext = try backend.zeros([B, H], dtype: .float32), hNext = try backend.zeros([B, H], dtype: .float32)
        let output = try backend.upload([Float](repeating: 9, count: B * H), shape: [B, H])
        switch (step.cell, fused) {
        case ("lstm", true):
            #expect(try backend.fusedLSTMStep(
                gates: gates, hPrev: hPrev, recurrentWeight: recurrentWeight, activeRows: step.activeRows,
                cPrev: cPrev, cNext: cNext, hNext: hNext, output: output, lengths: lengths, t: step.t))
        case ("lstm", false):
            try backend.recurrentProduct(hPrev, recurrentWeight, activeRows: step.activeRows, into: gates)
            try backend.lstmCellForward(gates: gates, cPrev: cPrev, hPrev: hPrev, cNext: cNext, hNext: hNext,
                                        output: output, lengths: lengths, t: step.t)
        case ("gru", true):
            #expect(try backend.fusedGRUStep(
                inputGates: gates, hiddenGates: hiddenGates, hPrev: hPrev, recurrentWeight: recurrentWeight,
                activeRows: step.activeRows, hNext: hNext, output: output, lengths: lengths, t: step.t))
        case ("gru", false):
            try backend.recurrentProduct(hPrev, recurrentWeight, activeRows: step.activeRows, into: hiddenGates)
            try backend.gruCellForward(inputGates: gates, hiddenGates: hiddenGates, hPrev: hPrev, hNext: hNext,
                                       output: output, lengths: lengths, t: step.t)
        case (_, true):
            #expect(try backend.fusedRNNStep(
                preactivation: gates, hPrev: hPrev, recurrentWeight: recurrentWeight,
                activeRows: step.activeRows, hNext: hNext, output: output, lengths: lengths, t: step.t))
        default:
            try backend.recurrentProduct(hPrev, recurrentWeight, activeRows: step.activeRows, into: gates)
            try backend.rnnCellForward(preactivation: gates, hPrev: hPrev, hNext: hNext, output: output,
                                       lengths: lengths, t: step.t)
        }
        return try [gates, hiddenGates, cNext, hNext, output].map { try backend.download($0) }
    }

    let fused = try run(fused: true), unfused = try run(fused: false)
    for (name, (actual, expected)) in zip(["gates", "hidden gates", "cNext", "hNext", "output"], zip(fused, unfused)) {
        let differing = zip(actual, expected).filter { $0 != $1 }.count
        #expect(differing == 0, "\(name): \(differing) of \(expected.count) elements differ")
    }
    // The step did something: valid rows' outputs are not the 9s they started as, ended rows' are 0.
    let output = fused[4]
    #expect(output[0] != 9)
    if step.lengths[B - 1] <= step.t { #expect(output[(B - 1) * H] == 0) }
}

@Test func aHiddenSizeOffThePanelWidthIsNotFused() throws {
    // H 20 is not a multiple of any panel width: the CPU backend declines, and `lstmStep` runs the ops.
    let backend = CPUBackend()
    let (B, H) = (3, 20)
    var random = SeededRandom(5)
    let weight = try backend.prepareGEMMOperand(
        try backend.upload(random.floats(4 * H * H), shape: [4 * H, H]).matrix, .transposed, k: H, n: 4 * H)
    let gates = try backend.upload(random.floats(B * 4 * H), shape: [B, 4 * H])
    let state = try backend.upload(random.floats(B * H), shape: [B, H])
    let next = try backend.zeros([B, H], dtype: .float32), cNext = try backend.zeros([B, H], dtype: .float32)
    let output = try backend.zeros([B, H], dtype: .float32)
    let before = try backend.download(gates)
    #expect(try !backend.fusedLSTMStep(gates: gates, hPrev: state, recurrentWeight: weight, activeRows: B, cPrev: state,
                                       cNext: cNext, hNext: next, output: output, lengths: nil, t: 0))
    #expect(try backend.download(gates) == before)
    try backend.lstmStep(gates: gates, hPrev: state, recurrentWeight: weight, activeRows: B, cPrev: state,
                         cNext: cNext, hNext: next, output: output, lengths: nil, t: 0)
    #expect(try backend.download(output).allSatisfy { $0 != 0 })
}

@Test func blockClaimsGiveEveryBlockOnceOwnShareFirst() {
    // Shares of 10 blocks in 3: 0..<3, 3..<6, 6..<10. Thread 1 takes its own, then share 2's, then share 0's.
    let claims = BlockClaims(blocks: 10, parts: 3)
    var order: [Int] = []
    while let block = claims.next(for: 1) { order.append(block) }
    #expect(order == [3, 4, 5, 6, 7, 8, 9, 0, 1, 2])
    #expect(claims.next(for: 0) == nil)

    // Threads racing for the same blocks still get each exactly once.
    let racing = BlockClaims(blocks: 5000, parts: 4)
    let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: 5000)
    counts.initialize(repeating: 0)
    defer { counts.deallocate() }
    DispatchQueue.concurrentPerform(iterations: 4) { part in
        while let block = racing.next(for: part) { counts[block] += 1 }  // each index is written by one thread only
    }
    #expect(counts.allSatisfy { $0 == 1 })
}
