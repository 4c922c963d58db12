import Testing
@testable import RecurCore

@Test(arguments: [1, 37, 70_001])  // the largest splits across threads
func elementwiseOps(count: Int) throws {
    let backend = CPUBackend()
    var random = SeededRandom(UInt64(count))
    let a = random.floats(count), b = random.floats(count)
    let x = try backend.upload(a, shape: [count]), y = try backend.upload(b, shape: [count])

    try backend.axpy(alpha: 0.5, x: x, y: y)
    #expect(maxScaledError(try backend.download(y), zip(a, b).map { Double($1) + 0.5 * Double($0) }) < 1e-7)
    try backend.scale(y, by: -2)
    let scaled = zip(a, b).map { -2 * ($1 + 0.5 * $0) }
    #expect(maxScaledError(try backend.download(y), scaled) < 1e-6)
    try backend.multiply(x, y, into: y)  // out may alias an input
    #expect(maxScaledError(try backend.download(y), zip(a, scaled).map { Double($0) * Double($1) }) < 1e-6)
    try backend.copy(x, to: y)
    #expect(try backend.download(y) == a)
    try backend.fill(y, with: 2.5)
    #expect(try backend.download(y).allSatisfy { $0 == 2.5 })
}

@Test func copyMovesIntBitsAndRespectsViews() throws {
    let backend = CPUBackend()
    let source = try backend.upload([Int32(-1), 7, 1 << 30], shape: [3])
    let destination = try backend.zeros([5], dtype: .int32)
    try backend.copy(source, to: destination.slice(1..<4))
    #expect(try backend.downloadInts(destination) == [0, -1, 7, 1 << 30, 0])
    #expect(throws: BackendError.self) { try backend.copy(source, to: destination) }
}

@Test func memoryRoundTripCountsTransfers() throws {
    let backend = CPUBackend()
    let t = try backend.upload([Float]([1, 2, 3, 4, 5, 6]), shape: [2, 3])
    #expect(backend.transfers.hostToDevice == 24)
    try backend.write([Float]([6, 5, 4, 3, 2, 1]), to: t)
    #expect(try backend.download(t.slice(1)) == [3, 2, 1])
    #expect(backend.transfers.hostToDevice == 48 && backend.transfers.deviceToHost == 12)
    #expect(try backend.download(try backend.zeros([2, 2], dtype: .float32)) == [0, 0, 0, 0])
    #expect(throws: BackendError.self) { _ = try backend.upload([Float]([1, 2, 3]), shape: [2, 2]) }
    #expect(throws: BackendError.self) { _ = try backend.downloadInts(t) }
    let other = CPUBackend()
    #expect(throws: BackendError.self) { _ = try other.download(t) }
}
