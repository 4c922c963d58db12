import RecurCore
import Testing
@testable import RecurOpenCL

extension OpenCLOpTests {
    @Test func uploadDownloadWriteAndCountTransfers() throws {
        try forEachBackend { backend in
            let before = (backend.transfers.hostToDevice, backend.transfers.deviceToHost)
            let values: [Float] = [1, -2, 3.5, .infinity, 0, 7]
            let tensor = try backend.upload(values, shape: [2, 3])
            #expect(try backend.download(tensor) == values, "\(backend.label)")
            try backend.write([Float]([9, 8, 7]), to: tensor.slice(1))
            #expect(try backend.download(tensor) == [1, -2, 3.5, 9, 8, 7], "\(backend.label)")
            let ints = try backend.upload([Int32(-1), 5, Int32.max], shape: [3])
            #expect(try backend.downloadInts(ints) == [-1, 5, Int32.max], "\(backend.label)")
            let zeros = try backend.zeros([4], dtype: .float32)
            #expect(try backend.download(zeros) == [0, 0, 0, 0], "\(backend.label)")
            let empty = try backend.zeros([0, 3], dtype: .float32)
            #expect(try backend.download(empty).isEmpty)
            #expect(backend.transfers.hostToDevice - before.0 == (6 + 3 + 3) * 4, "\(backend.label)")
            #expect(backend.transfers.deviceToHost - before.1 == (6 + 6 + 3 + 4) * 4, "\(backend.label)")
        }
    }

    @Test func fillCopyAxpyScaleMultiplyOnOffsetViews() throws {
        try forEachBackend { backend in
            var random = SeededGenerator(seed: 1)
            let n = 1000
            let x = random.floats(n + 5), y = random.floats(n + 3)
            let xs = try backend.upload(x, shape: [n + 5]), ys = try backend.upload(y, shape: [n + 3])
            let xv = Tensor(storage: xs.storage, offset: 5, shape: [n]), yv = Tensor(storage: ys.storage, offset: 3, shape: [n])

            try backend.axpy(alpha: 0.75, x: xv, y: yv)
            var expectedY = y.map(Double.init)
            for i in 0..<n { expectedY[3 + i] += 0.75 * Double(x[5 + i]) }
            expectClose(try backend.download(ys), expectedY, "\(backend.label) axpy")

            try backend.scale(xv, by: -2)
            var expectedX = x.map(Double.init)
            for i in 0..<n { expectedX[5 + i] *= -2 }
            expectClose(try backend.download(xs), expectedX, "\(backend.label) scale")

            try backend.multiply(xv, yv, into: yv)
            for i in 0..<n { expectedY[3 + i] *= expectedX[5 + i] }
            expectClose(try backend.download(ys), expectedY, "\(backend.label) multiply in place")

            try backend.copy(yv, to: xv)
            for i in 0..<n { expectedX[5 + i] = expectedY[3 + i] }
            expectClose(try backend.download(xs), expectedX, "\(backend.label) copy")

            try backend.fill(Tensor(storage: xs.storage, offset: 2, shape: [4]), with: 2.5)
            for i in 2..<6 { expectedX[i] = 2.5 }
            expectClose(try backend.download(xs), expectedX, "\(backend.label) fill")
        }
    }

    /// 53 columns take the one-column-per-item kernels, 40 the 8-column ones.
    @Test(arguments: [53, 40]) func biasAddAndBiasGradient(columns: Int) throws {
        try forEachBackend { backend in
            var random = SeededGenerator(seed: 2)
            let rows = 37
            let m = random.floats(rows * columns), v = random.floats(columns), old = random.floats(columns)
            let matrix = try backend.upload(m, shape: [rows, columns])
            let vector = try backend.upload(v, shape: [columns])
            try backend.addRowVector(vector, to: matrix)
            let added = (0..<(rows * columns)).map { Double(m[$0]) + Double(v[$0 % columns]) }
            expectClose(try backend.download(matrix), added, "\(backend.label) addRowVector")

            let sums = (0..<columns).map { c in (0..<rows).reduce(0.0) { $0 + added[$1 * columns + c] } }
            let result = try backend.upload(old, shape: [columns])
            try backend.sumRows(matrix, into: result, accumulate: false)
            expectClose(try backend.download(result), sums, "\(backend.label) sumRows")
            try backend.write(old, to: result)
            try backend.sumRows(matrix, into: result, accumulate: true)
            expectClose(try backend.download(result), zip(sums, old).map { $0 + Double($1) }, "\(backend.label) sumRows accumulate")
        }
    }

    @Test func sumsNormsAndClipping() throws {
        try forEachBackend { backend in
            var random = SeededGenerator(seed: 3)
            for n in [1, 7, 255, 256, 1000, 65_537] {
                let x = random.floats(n)
                let tensor = try backend.upload(x, shape: [n])
                let result = try backend.upload([Float(10)], shape: [1])
                let total = x.reduce(0.0) { $0 + Double($1) }
                let squares = x.reduce(0.0) { $0 + Double($1) * Double($1) }
                try backend.sum(tensor, into: result, accumulate: false)
                expectClose(try backend.download(result), [total], "\(backend.label) sum n=\(n)", abs: 1e-4)
                try backend.sumOfSquares(tensor, into: result, accumulate: true)
                expectClose(try backend.download(result), [total + squares], "\(backend.label) sumOfSquares accumulate n=\(n)", abs: 1e-4)

                // Global norm over the tensor, then clip to half of it (and to twice it: no change).
                let normSquared = try backend.zeros([1], dtype: .float32)
                try backend.sumOfSquares(tensor, into: normSquared, accumulate: false)
                let norm = squares.squareRoot()
                for maxNorm in [norm / 2, norm * 2] {
                    let copy = try backend.upload(x, shape: [n])
                    try backend.clipScale(copy, normSquared: normSquared, maxNorm: Float(maxNorm))
                    let coefficient = min(1, maxNorm / (norm + 1e-6))
                    expectClose(try backend.download(copy), x.map { Double($0) * coefficient }, "\(backend.label) clip n=\(n)")
                }
            }
        }
    }
}
