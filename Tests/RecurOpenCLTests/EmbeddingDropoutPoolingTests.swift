import RecurCore
import Testing
@testable import RecurOpenCL

extension OpenCLOpTests {
    @Test func embeddingGatherAndDeterministicScatter() throws {
        // Width 13 takes the scalar kernels, 20 the float4 ones.
        try forEachBackend { backend in for width in [13, 20] {
            var random = SeededGenerator(seed: 7)
            let vocabulary = 11
            let tokens: [Int32] = [3, 0, 3, 10, 5, 3, 0, 7, 7]
            let weights = random.floats(vocabulary * width)
            let weight = try backend.upload(weights, shape: [vocabulary, width])
            let tokensTensor = try backend.upload(tokens, shape: [3, 3])
            let output = try backend.zeros([9, width], dtype: .float32)
            try backend.embeddingForward(weight: weight, tokens: tokensTensor, output: output)
            let gathered = tokens.flatMap { t in (0..<width).map { weights[Int(t) * width + $0] } }
            #expect(try backend.download(output) == gathered, "\(backend.label) embedding forward")

            let dOut = random.floats(tokens.count * width)
            let initial = random.floats(vocabulary * width)
            var expected = initial.map(Double.init)
            for (n, token) in tokens.enumerated() where token != 0 {
                for e in 0..<width { expected[Int(token) * width + e] += Double(dOut[n * width + e]) }
            }
            var runs: [[Float]] = []
            for _ in 0..<2 {
                let dWeight = try backend.upload(initial, shape: [vocabulary, width])
                try backend.embeddingBackward(dOutput: try backend.upload(dOut, shape: [9, width]), tokens: tokensTensor,
                                              dWeight: dWeight, paddingIndex: 0)
                runs.append(try backend.download(dWeight))
            }
            expectClose(runs[0], expected, "\(backend.label) embedding backward")
            #expect(runs[0] == runs[1], "\(backend.label) embedding backward is deterministic")
        } }
    }

    @Test func dropoutMaskIsBitIdenticalToDropoutRNG() throws {
        try forEachBackend { backend in
            for (p, seed) in [(Float(0.25), UInt64(0)), (0.5, 0x1234_5678_9ABC_DEF0), (0, 99), (1, 5)] {
                let count = 4099
                let storage = try backend.zeros([count + 3], dtype: .float32)
                let mask = Tensor(storage: storage.storage, offset: 3, shape: [count])
                try backend.dropoutMask(mask, p: p, seed: seed)
                let keep: Float = 1 / (1 - p)
                let expected = (0..<count).map { DropoutRNG.uniform(seed: seed, index: UInt32($0)) >= p ? keep : 0 }
                let actual = try backend.download(mask)
                #expect(actual.map(\.bitPattern) == expected.map(\.bitPattern), "\(backend.label) dropout p \(p) seed \(seed)")
                if p == 0.5 {
                    let kept = actual.filter { $0 != 0 }.count
                    #expect(abs(Double(kept) / Double(count) - 0.5) < 0.05)
                }
            }
        }
    }

    @Test func maskedPoolingForwardAndBackward() throws {
        try forEachBackend { backend in
            var random = SeededGenerator(seed: 8)
            let (steps, batch, hidden) = (5, 4, 6)
            let lengths: [Int32] = [5, 0, 2, 3]
            let input = random.floats(steps * batch * hidden)
            let inputTensor = try backend.upload(input, shape: [steps, batch, hidden])
            for useLengths in [true, false] {
                let lengthsTensor = useLengths ? try backend.upload(lengths, shape: [batch]) : nil
                for mode in PoolMode.allCases {
                    let label = "\(backend.label) pool \(mode) lengths \(useLengths)"
                    let output = try backend.upload(random.floats(batch * hidden), shape: [batch, hidden])
                    let argmax = try backend.zeros([batch, hidden], dtype: .int32)
                    try backend.poolForward(mode, input: inputTensor, lengths: lengthsTensor, output: output, argmax: argmax)
                    var expected = [Double](repeating: 0, count: batch * hidden)
                    var expectedArgmax = [Int32](repeating: -1, count: batch * hidden)
                    for b in 0..<batch {
                        let length = useLengths ? Int(lengths[b]) : steps
                        for h in 0..<hidden {
                            let values = (0..<length).map { Double(input[($0 * batch + b) * hidden + h]) }
                            let index = b * hidden + h
                            switch mode {
                            case .sum: expected[index] = values.reduce(0, +)
                            case .mean: expected[index] = length == 0 ? 0 : values.reduce(0, +) / Double(length)
                            case .max:
                                if let best = values.indices.max(by: { values[$0] < values[$1] || (values[$0] == values[$1] && $0 > $1) }) {
                                    expected[index] = values[best]
                                    expectedArgmax[index] = Int32(best)
                                }
                            }
                        }
                    }
                    expectClose(try backend.download(output), expected, "\(label) forward")
                    if mode == .max { #expect(try backend.downloadInts(argmax) == expectedArgmax, "\(label) argmax") }

                    let dOut = random.floats(batch * hidden), dIn0 = random.floats(input.count)
                    let dInput = try backend.upload(dIn0, shape: [steps, batch, hidden])
                    try backend.poolBackward(mode, dOutput: try backend.upload(dOut, shape: [batch, hidden]), lengths: lengthsTensor,
                                             argmax: argmax, dInput: dInput)
                    var expectedD = dIn0.map(Double.init)
                    for t in 0..<steps {
                        for b in 0..<batch {
                            let length = useLengths ? Int(lengths[b]) : steps
                            guard t < length else { continue }
                            for h in 0..<hidden {
                                let index = b * hidden + h, g = Double(dOut[index])
                                switch mode {
                                case .sum: expectedD[(t * batch + b) * hidden + h] += g
                                case .mean: expectedD[(t * batch + b) * hidden + h] += g / Double(length)
                                case .max: if expectedArgmax[index] == Int32(t) { expectedD[(t * batch + b) * hidden + h] += g }
                                }
                            }
                        }
                    }
                    expectClose(try backend.download(dInput), expectedD, "\(label) backward")
                }
            }
        }
    }
}
