import RecurCore
import Testing
@testable import RecurOpenCL

/// The same op sequences on `CPUBackend` and on every OpenCL backend must agree: the CPU backend is the
/// reference the model code is checked against.
extension OpenCLOpTests {
    /// Runs `body` on the CPU backend and on every OpenCL backend (same seed, so the same inputs)
    /// and compares each tensor it returns.
    func expectAgreement(
        _ what: String, abs: Double = 1e-5, rel: Double = 1e-4,
        _ body: (Backend, inout SeededGenerator) throws -> [Tensor]
    ) throws {
        let cpu = CPUBackend()
        var cpuRandom = SeededGenerator(seed: 77)
        let expected = try body(cpu, &cpuRandom).map { $0.dtype == .int32 ? try cpu.downloadInts($0).map(Float.init) : try cpu.download($0) }
        try forEachBackend { backend in
            var random = SeededGenerator(seed: 77)
            let actual = try body(backend, &random)
            for (index, tensor) in actual.enumerated() {
                let values = tensor.dtype == .int32 ? try backend.downloadInts(tensor).map(Float.init) : try backend.download(tensor)
                expectClose(values, expected[index], "\(backend.label) vs cpu: \(what), output \(index)", abs: abs, rel: rel)
            }
        }
    }

    @Test func gemmAgreesWithCPUBackend() throws {
        for (transA, transB) in [(Transpose.none, Transpose.none), (.transposed, .none), (.none, .transposed), (.transposed, .transposed)] {
            try expectAgreement("gemm \(transA) \(transB)") { backend, random in
                let (m, n, k) = (37, 70, 45)
                let a = try backend.upload(random.floats(m * k), shape: transA == .none ? [m, k] : [k, m])
                let b = try backend.upload(random.floats(k * n), shape: transB == .none ? [k, n] : [n, k])
                let c = try backend.upload(random.floats(m * n), shape: [m, n])
                try backend.gemm(transA, transB, m: m, n: n, k: k, alpha: 0.7, a: a.matrix, b: b.matrix, beta: 0.3, c: c.matrix)
                return [c]
            }
        }
    }

    @Test func recurrentStepsAgreeWithCPUBackend() throws {
        let (batch, hidden) = (5, 19)
        try expectAgreement("lstm, gru and rnn steps with lengths") { backend, random in
            let lengths = try backend.upload([Int32(3), 0, 1, 2, 4], shape: [batch])
            func tensor(_ columns: Int) throws -> Tensor { try backend.upload(random.floats(batch * columns, in: -2...2), shape: [batch, columns]) }
            let gates = try tensor(4 * hidden), c0 = try tensor(hidden), h0 = try tensor(hidden)
            let c1 = try tensor(hidden), h1 = try tensor(hidden), out = try tensor(hidden)
            try backend.lstmCellForward(gates: gates, cPrev: c0, hPrev: h0, cNext: c1, hNext: h1, output: out, lengths: lengths, t: 1)
            let dOut = try tensor(hidden), dh = try tensor(hidden), dc = try tensor(hidden), dGates = try tensor(4 * hidden)
            try backend.lstmCellBackward(gates: gates, cPrev: c0, cNext: c1, dOutput: dOut, dh: dh, dc: dc, dGates: dGates, lengths: lengths, t: 1)

            let gx = try tensor(3 * hidden), gh = try tensor(3 * hidden), gruH = try tensor(hidden), gruOut = try tensor(hidden)
            try backend.gruCellForward(inputGates: gx, hiddenGates: gh, hPrev: h0, hNext: gruH, output: gruOut, lengths: lengths, t: 1)
            let gruDh = try tensor(hidden), dgx = try tensor(3 * hidden), dgh = try tensor(3 * hidden)
            try backend.gruCellBackward(inputGates: gx, hiddenGates: gh, hPrev: h0, dOutput: dOut, dh: gruDh,
                                        dInputGates: dgx, dHiddenGates: dgh, lengths: lengths, t: 1)

            let pre = try tensor(hidden), rnnH = try tensor(hidden), rnnOut = try tensor(hidden), rnnDh = try tensor(hidden), dPre = try tensor(hidden)
            try backend.rnnCellForward(preactivation: pre, hPrev: h0, hNext: rnnH, output: rnnOut, lengths: lengths, t: 1)
            try backend.rnnCellBackward(activation: pre, dOutput: dOut, dh: rnnDh, dPreactivation: dPre, lengths: lengths, t: 1)
            return [gates, c1, h1, out, dh, dc, dGates, gx, gruH, gruOut, gruDh, dgx, dgh, pre, rnnH, rnnOut, rnnDh, dPre]
        }
    }

    @Test func lossEmbeddingPoolingAndDropoutAgreeWithCPUBackend() throws {
        try expectAgreement("softmax cross-entropy, embedding, pooling, dropout") { backend, random in
            let (rows, classes) = (7, 1031)
            let logits = try backend.upload(random.floats(rows * classes, in: -5...5), shape: [rows, classes])
            let targets = try backend.upload((0..<rows).map { Int32($0 == 2 ? -100 : ($0 * 131) % classes) }, shape: [rows])
            let weights = try backend.upload(random.floats(classes, in: 0.5...1.5), shape: [classes])
            let probabilities = try backend.zeros([rows, classes], dtype: .float32), losses = try backend.zeros([rows], dtype: .float32)
            try backend.softmaxCrossEntropy(logits: logits, targets: targets, classWeights: weights, ignoreIndex: -100,
                                            probabilities: probabilities, rowLosses: losses)
            let dLogits = try backend.zeros([rows, classes], dtype: .float32)
            try backend.softmaxCrossEntropyBackward(probabilities: probabilities, targets: targets, classWeights: weights,
                                                    ignoreIndex: -100, scale: 0.25, dLogits: dLogits)

            let (vocabulary, width, steps, batch) = (17, 24, 6, 3)
            let table = try backend.upload(random.floats(vocabulary * width), shape: [vocabulary, width])
            let tokens = try backend.upload((0..<(steps * batch)).map { Int32(($0 * 5) % vocabulary) }, shape: [steps, batch])
            let embedded = try backend.zeros([steps, batch, width], dtype: .float32)
            try backend.embeddingForward(weight: table, tokens: tokens, output: embedded)
            let dTable = try backend.zeros([vocabulary, width], dtype: .float32)
            try backend.embeddingBackward(dOutput: embedded, tokens: tokens, dWeight: dTable, paddingIndex: 0)

            let lengths = try backend.upload([Int32(6), 2, 0], shape: [batch])
            var outputs = [probabilities, losses, dLogits, embedded, dTable]
            for mode in PoolMode.allCases {
                let pooled = try backend.zeros([batch, width], dtype: .float32), argmax = try backend.zeros([batch, width], dtype: .int32)
                try backend.poolForward(mode, input: embedded, lengths: lengths, output: pooled, argmax: argmax)
                let dEmbedded = try backend.zeros([steps, batch, width], dtype: .float32)
                try backend.poolBackward(mode, dOutput: pooled, lengths: lengths, argmax: argmax, dInput: dEmbedded)
                outputs += [pooled, dEmbedded] + (mode == .max ? [argmax] : [])
            }
            let mask = try backend.zeros([1001], dtype: .float32)
            try backend.dropoutMask(mask, p: 0.3, seed: 0xDEAD_BEEF_0042)
            return outputs + [mask]
        }
    }

    @Test func reductionsAndOptimizersAgreeWithCPUBackend() throws {
        try expectAgreement("reductions, clipping and optimizer steps", abs: 2e-5) { backend, random in
            let n = 5000
            let gradient = try backend.upload(random.floats(n), shape: [n])
            let normSquared = try backend.zeros([1], dtype: .float32), total = try backend.zeros([1], dtype: .float32)
            try backend.sumOfSquares(gradient, into: normSquared, accumulate: false)
            try backend.sum(gradient, into: total, accumulate: false)
            try backend.clipScale(gradient, normSquared: normSquared, maxNorm: 5)
            let matrix = gradient.reshaped([50, 100]), bias = try backend.zeros([100], dtype: .float32)
            try backend.sumRows(matrix, into: bias, accumulate: false)

            func parameter() throws -> Tensor { try backend.upload(random.floats(n), shape: [n]) }
            let sgd = try parameter(), sgdBuffer = try backend.zeros([n], dtype: .float32)
            let adam = try parameter(), m = try backend.zeros([n], dtype: .float32), v = try backend.zeros([n], dtype: .float32)
            let rms = try parameter(), square = try backend.zeros([n], dtype: .float32), rmsBuffer = try backend.zeros([n], dtype: .float32)
            let adagrad = try parameter(), sum = try backend.zeros([n], dtype: .float32)
            for step in 1...3 {
                try backend.sgdUpdate(parameter: sgd, gradient: gradient, momentumBuffer: sgdBuffer, step: step,
                                      hyper: SGDHyper(learningRate: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01))
                try backend.adamUpdate(parameter: adam, gradient: gradient, m: m, v: v, step: step,
                                       hyper: AdamHyper(learningRate: 0.01, weightDecay: 0.01, decoupledWeightDecay: true))
                try backend.rmspropUpdate(parameter: rms, gradient: gradient, squareAverage: square, momentumBuffer: rmsBuffer, step: step,
                                          hyper: RMSpropHyper(learningRate: 0.01, momentum: 0.5))
                try backend.adagradUpdate(parameter: adagrad, gradient: gradient, sum: sum, step: step,
                                          hyper: AdagradHyper(learningRate: 0.1, learningRateDecay: 0.1))
            }
            return [normSquared, total, gradient, bias, sgd, sgdBuffer, adam, m, v, rms, square, rmsBuffer, adagrad, sum]
        }
    }
}
