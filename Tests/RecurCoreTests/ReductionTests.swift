import Foundation
import Testing
@testable import RecurCore

@Test func sumAndSumOfSquaresInDouble() throws {
    let backend = CPUBackend()
    var random = SeededRandom(71)
    for count in [1, 13, 100_003] {  // the largest takes the multi-threaded path
        let values = random.floats(count)
        let x = try backend.upload(values, shape: [count])
        let result = try backend.upload([Float(0.5)], shape: [1])
        try backend.sum(x, into: result, accumulate: false)
        let total = values.reduce(0.0) { $0 + Double($1) }
        #expect(abs(Double(try backend.download(result)[0]) - total) < 1e-5 * max(1, abs(total)))
        try backend.sumOfSquares(x, into: result, accumulate: true)
        let squares = values.reduce(0.0) { $0 + Double($1) * Double($1) }
        #expect(abs(Double(try backend.download(result)[0]) - (Double(Float(total)) + squares)) < 1e-5 * (abs(total) + squares))
    }
}

@Test func clipScaleMatchesClipGradNorm() throws {
    let backend = CPUBackend()
    let values: [Float] = [3, 4, 0, -12]  // norm 13
    let x = try backend.upload(values, shape: [4])
    let normSquared = try backend.zeros([1], dtype: .float32)
    try backend.sumOfSquares(x, into: normSquared, accumulate: false)
    #expect(try backend.download(normSquared) == [169])
    try backend.clipScale(x, normSquared: normSquared, maxNorm: 20)
    #expect(try backend.download(x) == values)  // below the limit: unchanged
    try backend.clipScale(x, normSquared: normSquared, maxNorm: 6.5)
    let coefficient = Float(6.5) / (Float(13) + 1e-6)
    #expect(maxScaledError(try backend.download(x), values.map { $0 * coefficient }) < 1e-7)
}

@Test func sumRowsAndAddRowVector() throws {
    let backend = CPUBackend()
    var random = SeededRandom(72)
    let rows = 9, columns = 35
    let matrix = random.floats(rows * columns), vector = random.floats(columns)
    let matrixT = try backend.upload(matrix, shape: [3, 3, columns])
    let vectorT = try backend.upload(vector, shape: [columns])
    try backend.sumRows(matrixT, into: vectorT, accumulate: true)
    let sums = (0..<columns).map { c in (0..<rows).reduce(Double(vector[c])) { $0 + Double(matrix[$1 * columns + c]) } }
    #expect(maxScaledError(try backend.download(vectorT), sums) < 1e-6)
    try backend.sumRows(matrixT, into: vectorT, accumulate: false)
    let plain = (0..<columns).map { c in (0..<rows).reduce(0.0) { $0 + Double(matrix[$1 * columns + c]) } }
    #expect(maxScaledError(try backend.download(vectorT), plain) < 1e-6)

    let bias = try backend.upload(vector, shape: [columns])
    try backend.addRowVector(bias, to: matrixT)
    let expected = matrix.enumerated().map { Double($0.element) + Double(vector[$0.offset % columns]) }
    #expect(maxScaledError(try backend.download(matrixT), expected) < 1e-7)
    #expect(throws: BackendError.self) { try backend.sumRows(matrixT, into: try backend.zeros([34], dtype: .float32), accumulate: false) }
}
