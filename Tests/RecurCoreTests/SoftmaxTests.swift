import Foundation
import Testing
@testable import RecurCore

/// Weighted cross-entropy per row in Double: w[y]·(logsumexp(x) − x[y]), 0 for ignored rows.
private func referenceLosses(_ logits: [Double], targets: [Int32], weights: [Float], classes: Int, ignore: Int32) -> [Double] {
    targets.enumerated().map { row, target in
        if target == ignore { return 0 }
        let x = logits[(row * classes)..<((row + 1) * classes)]
        let top = x.max()!
        let logSumExp = top + log(x.reduce(0) { $0 + exp($1 - top) })
        return Double(weights[Int(target)]) * (logSumExp - x[x.startIndex + Int(target)])
    }
}

@Test func softmaxCrossEntropyWithWeightsAndIgnoreIndex() throws {
    let backend = CPUBackend()
    let rows = 5, classes = 37
    var random = SeededRandom(31)
    // Large offsets check the max subtraction: exp(1000) would overflow.
    let logits = random.floats(rows * classes, -4, 4).enumerated().map { $0.offset < classes ? $0.element + 1000 : $0.element }
    let targets: [Int32] = [3, -100, 36, 0, 17]
    let weights = random.floats(classes, 0.5, 2)
    let scale: Float = 0.37

    let logitsT = try backend.upload(logits, shape: [rows, classes])
    let targetsT = try backend.upload(targets, shape: [rows])
    let weightsT = try backend.upload(weights, shape: [classes])
    let probabilitiesT = try backend.zeros([rows, classes], dtype: .float32)
    let lossesT = try backend.zeros([rows], dtype: .float32)
    try backend.softmaxCrossEntropy(logits: logitsT, targets: targetsT, classWeights: weightsT, ignoreIndex: -100,
                                    probabilities: probabilitiesT, rowLosses: lossesT)

    let expectedLosses = referenceLosses(logits.doubles, targets: targets, weights: weights, classes: classes, ignore: -100)
    #expect(maxScaledError(try backend.download(lossesT), expectedLosses) < 1e-5)
    var expectedProbabilities = [Double]()
    for r in 0..<rows {
        let x = logits[(r * classes)..<((r + 1) * classes)].map(Double.init)
        let top = x.max()!
        let total = x.reduce(0) { $0 + exp($1 - top) }
        expectedProbabilities += x.map { exp($0 - top) / total }
    }
    #expect(maxScaledError(try backend.download(probabilitiesT), expectedProbabilities) < 1e-6)

    let dLogitsT = try backend.upload([Float](repeating: 9, count: rows * classes), shape: [rows, classes])
    try backend.softmaxCrossEntropyBackward(probabilities: probabilitiesT, targets: targetsT, classWeights: weightsT,
                                            ignoreIndex: -100, scale: scale, dLogits: dLogitsT)
    let numerical = numericalGradient(of: { x in
        Double(scale) * referenceLosses(x, targets: targets, weights: weights, classes: classes, ignore: -100).reduce(0, +)
    }, at: logits.doubles, step: 1e-4)
    #expect(maxScaledError(try backend.download(dLogitsT), numerical) < 1e-5)
}

@Test func softmaxCrossEntropyWithoutWeightsOnAWideRow() throws {
    let backend = CPUBackend()
    let rows = 2, classes = 1003  // not a multiple of 16: the vector tail is masked
    var random = SeededRandom(32)
    let logits = random.floats(rows * classes, -10, 10)
    let targets: [Int32] = [1002, 5]
    let probabilitiesT = try backend.zeros([rows, classes], dtype: .float32)
    let lossesT = try backend.zeros([rows], dtype: .float32)
    try backend.softmaxCrossEntropy(logits: try backend.upload(logits, shape: [rows, classes]),
                                    targets: try backend.upload(targets, shape: [rows]), classWeights: nil,
                                    ignoreIndex: nil, probabilities: probabilitiesT, rowLosses: lossesT)
    let ones = [Float](repeating: 1, count: classes)
    let expected = referenceLosses(logits.doubles, targets: targets, weights: ones, classes: classes, ignore: Int32.min)
    #expect(maxScaledError(try backend.download(lossesT), expected) < 1e-5)
    let probabilities = try backend.download(probabilitiesT)
    for r in 0..<rows {
        let total = probabilities[(r * classes)..<((r + 1) * classes)].reduce(0.0) { $0 + Double($1) }
        #expect(abs(total - 1) < 1e-5)
    }
}

@Test func plainSoftmaxMatchesReference() throws {
    let backend = CPUBackend()
    let rows = 3, classes = 21
    var random = SeededRandom(33)
    let logits = random.floats(rows * classes, -30, 30)
    let probabilitiesT = try backend.zeros([rows, classes], dtype: .float32)
    try backend.softmax(try backend.upload(logits, shape: [rows, classes]), into: probabilitiesT)
    var expected = [Double]()
    for r in 0..<rows {
        let x = logits[(r * classes)..<((r + 1) * classes)].map(Double.init)
        let top = x.max()!
        let total = x.reduce(0) { $0 + exp($1 - top) }
        expected += x.map { exp($0 - top) / total }
    }
    #expect(maxScaledError(try backend.download(probabilitiesT), expected) < 1e-6)
}

@Test func crossEntropyRejectsTargetsOutOfRange() throws {
    let backend = CPUBackend()
    let logits = try backend.zeros([2, 4], dtype: .float32)
    let targets = try backend.upload([Int32(1), 4], shape: [2])
    #expect(throws: BackendError.self) {
        try backend.softmaxCrossEntropy(logits: logits, targets: targets, classWeights: nil, ignoreIndex: nil,
                                        probabilities: try backend.zeros([2, 4], dtype: .float32),
                                        rowLosses: try backend.zeros([2], dtype: .float32))
    }
}
