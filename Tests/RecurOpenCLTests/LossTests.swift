import Foundation
import RecurCore
import Testing
@testable import RecurOpenCL

extension OpenCLOpTests {
    /// Small rows and a language-model-sized row, class weights and an ignored target.
    @Test func softmaxCrossEntropyForwardAndBackward() throws {
        try forEachBackend { backend in
            for (rows, classes) in [(6, 3), (5, 1000), (2, 20_003)] {
                for weighted in [false, true] {
                    var random = SeededGenerator(seed: UInt64(rows * classes))
                    let logits = random.floats(rows * classes, in: -8...8)
                    let targets = (0..<rows).map { Int32(($0 * 7 + 1) % classes) }
                    var targetsWithIgnored = targets
                    targetsWithIgnored[1] = -100
                    let weights = random.floats(classes, in: 0.1...2)
                    let label = "\(backend.label) softmax \(rows)x\(classes) weighted \(weighted)"

                    let logitsTensor = try backend.upload(logits, shape: [rows, classes])
                    let targetsTensor = try backend.upload(targetsWithIgnored, shape: [rows])
                    let weightsTensor = weighted ? try backend.upload(weights, shape: [classes]) : nil
                    let probabilities = try backend.zeros([rows, classes], dtype: .float32)
                    let rowLosses = try backend.zeros([rows], dtype: .float32)
                    try backend.softmaxCrossEntropy(logits: logitsTensor, targets: targetsTensor, classWeights: weightsTensor,
                                                    ignoreIndex: -100, probabilities: probabilities, rowLosses: rowLosses)

                    var expectedP = [Double](repeating: 0, count: logits.count)
                    var expectedLoss = [Double](repeating: 0, count: rows)
                    for n in 0..<rows {
                        let row = logits[(n * classes)..<((n + 1) * classes)].map(Double.init)
                        let maximum = row.max()!
                        let total = row.reduce(0) { $0 + exp($1 - maximum) }
                        for c in 0..<classes { expectedP[n * classes + c] = exp(row[c] - maximum) / total }
                        let y = Int(targetsWithIgnored[n])
                        if y >= 0 {
                            expectedLoss[n] = (weighted ? Double(weights[y]) : 1) * (maximum + log(total) - row[y])
                        }
                    }
                    expectClose(try backend.download(probabilities), expectedP, "\(label) probabilities", abs: 1e-6)
                    expectClose(try backend.download(rowLosses), expectedLoss, "\(label) losses", abs: 2e-5)

                    let scale: Float = 0.37
                    let dLogits = try backend.upload(random.floats(rows * classes), shape: [rows, classes])
                    try backend.softmaxCrossEntropyBackward(probabilities: probabilities, targets: targetsTensor, classWeights: weightsTensor,
                                                            ignoreIndex: -100, scale: scale, dLogits: dLogits)
                    var expectedD = [Double](repeating: 0, count: logits.count)
                    for n in 0..<rows where targetsWithIgnored[n] >= 0 {
                        let y = Int(targetsWithIgnored[n])
                        let w = weighted ? Double(weights[y]) : 1
                        for c in 0..<classes {
                            expectedD[n * classes + c] = Double(scale) * w * (expectedP[n * classes + c] - (c == y ? 1 : 0))
                        }
                    }
                    expectClose(try backend.download(dLogits), expectedD, "\(label) dLogits", abs: 1e-6)

                    let plain = try backend.zeros([rows, classes], dtype: .float32)
                    try backend.softmax(logitsTensor, into: plain)
                    expectClose(try backend.download(plain), expectedP, "\(label) plain softmax", abs: 1e-6)
                }
            }
        }
    }
}
