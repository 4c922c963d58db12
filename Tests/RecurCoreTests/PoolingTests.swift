import Foundation
import Testing
@testable import RecurCore

private let steps = 4, batch = 4, hidden = 18
/// Row 2 has length 0 (pools to 0); row 3 claims more steps than exist (clamped to T).
private let lengthValues: [Int32] = [4, 2, 0, 9]

private func length(_ b: Int) -> Int { min(max(Int(lengthValues[b]), 0), steps) }

private func referencePool(_ mode: PoolMode, _ x: [Double]) -> [Double] {
    var out = [Double](repeating: 0, count: batch * hidden)
    for b in 0..<batch {
        for u in 0..<hidden {
            let values = (0..<length(b)).map { x[($0 * batch + b) * hidden + u] }
            switch mode {
            case .sum: out[b * hidden + u] = values.reduce(0, +)
            case .mean: out[b * hidden + u] = values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
            case .max: out[b * hidden + u] = values.max() ?? 0
            }
        }
    }
    return out
}

@Test(arguments: PoolMode.allCases)
func poolingForwardAndBackwardWithLengths(mode: PoolMode) throws {
    let backend = CPUBackend()
    var random = SeededRandom(41)
    let input = random.floats(steps * batch * hidden)
    let gOut = random.floats(batch * hidden)
    let initial = random.floats(steps * batch * hidden)

    let inputT = try backend.upload(input, shape: [steps, batch, hidden])
    let lengths = try backend.upload(lengthValues, shape: [batch])
    let outputT = try backend.upload([Float](repeating: 9, count: batch * hidden), shape: [batch, hidden])
    let argmaxT = try backend.zeros([batch, hidden], dtype: .int32)
    try backend.poolForward(mode, input: inputT, lengths: lengths, output: outputT, argmax: argmaxT)
    #expect(maxScaledError(try backend.download(outputT), referencePool(mode, input.doubles)) < 1e-6)

    if mode == .max {
        let argmax = try backend.downloadInts(argmaxT)
        for b in 0..<batch {
            for u in 0..<hidden {
                let t = Int(argmax[b * hidden + u])
                if length(b) == 0 { #expect(t == -1) } else {
                    #expect(t >= 0 && t < length(b))
                    #expect(input[(t * batch + b) * hidden + u] == (try backend.download(outputT))[b * hidden + u])
                }
            }
        }
    }

    // Backward accumulates into dInput.
    let dInputT = try backend.upload(initial, shape: [steps, batch, hidden])
    try backend.poolBackward(mode, dOutput: try backend.upload(gOut, shape: [batch, hidden]), lengths: lengths,
                             argmax: argmaxT, dInput: dInputT)
    let numerical = numericalGradient(of: { dot(referencePool(mode, $0), gOut) }, at: input.doubles)
    let expected = zip(numerical, initial).map { $0 + Double($1) }
    #expect(maxScaledError(try backend.download(dInputT), expected) < 1e-5)
}

@Test func poolingWithoutLengthsUsesEveryStep() throws {
    let backend = CPUBackend()
    let input: [Float] = [1, -2, 3, 4, 5, -6]  // T=3, B=1, H=2
    let output = try backend.zeros([1, 2], dtype: .float32)
    try backend.poolForward(.mean, input: try backend.upload(input, shape: [3, 1, 2]), lengths: nil, output: output, argmax: nil)
    #expect(try backend.download(output) == [3, -4.0 / 3])
    #expect(throws: BackendError.self) {
        try backend.poolForward(.max, input: try backend.upload(input, shape: [3, 1, 2]), lengths: nil, output: output, argmax: nil)
    }
}
