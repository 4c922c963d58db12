import Testing
@testable import RecurCore

@Test func dropoutMaskFollowsTheCounterBasedRNG() throws {
    let backend = CPUBackend()
    let count = 20_000, p: Float = 0.3
    let storage = try backend.zeros([count + 5], dtype: .float32)
    let mask = storage.slice(5..<(count + 5))  // index i counts from the view's start, not the storage's
    try backend.dropoutMask(mask, p: p, seed: 0x1234_5678_9ABC)
    let values = try backend.download(mask)

    let keep = 1 / (1 - p)
    #expect(values.allSatisfy { $0 == 0 || $0 == keep })
    let dropped = Double(values.filter { $0 == 0 }.count) / Double(count)
    #expect(abs(dropped - Double(p)) < 0.015)
    for i in 0..<count {
        let expected: Float = DropoutRNG.uniform(seed: 0x1234_5678_9ABC, index: UInt32(i)) >= p ? keep : 0
        if values[i] != expected { Issue.record("element \(i): \(values[i]) != \(expected)"); break }
    }

    let again = try backend.zeros([count], dtype: .float32)
    try backend.dropoutMask(again, p: p, seed: 0x1234_5678_9ABC)
    #expect(try backend.download(again) == values)
    try backend.dropoutMask(again, p: p, seed: 0x1234_5678_9ABD)
    let other = try backend.download(again)
    #expect(zip(other, values).filter { $0 != $1 }.count > count / 5)
}

@Test func dropoutExtremes() throws {
    let backend = CPUBackend()
    let mask = try backend.zeros([33], dtype: .float32)
    try backend.dropoutMask(mask, p: 0, seed: 1)
    #expect(try backend.download(mask).allSatisfy { $0 == 1 })
    try backend.dropoutMask(mask, p: 1, seed: 1)
    #expect(try backend.download(mask).allSatisfy { $0 == 0 })
}
