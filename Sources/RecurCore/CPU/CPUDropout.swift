// Dropout masks from the counter-based hash in DropoutRNG, 16 elements at a time.

extension CPUBackend {
    public func dropoutMask(_ mask: Tensor, p: Float, seed: UInt64) throws {
        try require(p >= 0 && p <= 1, "dropoutMask: p = \(p) is outside [0, 1]")
        let out = try floats(mask, "dropoutMask")
        let keep = FloatVector(repeating: p < 1 ? 1 / (1 - p) : 0)
        // DropoutRNG.uniform with the seed's part hoisted: pcgHash(index ^ pcgHash(low ^ pcgHash(high))).
        let seedHash = DropoutRNG.pcgHash(UInt32(truncatingIfNeeded: seed) ^ DropoutRNG.pcgHash(UInt32(truncatingIfNeeded: seed >> 32)))
        let lanes = SIMD16<UInt32>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
        // uniform = (h >> 8)·2^-24 >= p  ⇔  h >> 8 >= ceil(p·2^24), exactly, and without a slow conversion.
        let threshold = SIMD16<UInt32>(repeating: UInt32((Double(p) * 16_777_216).rounded(.up)))
        vectorLoop(count: mask.count) { i, width in
            let hash = Self.pcgHash((SIMD16<UInt32>(repeating: UInt32(truncatingIfNeeded: i)) &+ lanes) ^ seedHash)
            VectorMath.store(FloatVector().replacing(with: keep, where: (hash &>> 8) .>= threshold), out + i, count: width)
        }
    }

    /// `DropoutRNG.pcgHash` on 16 lanes.
    @inline(__always)
    private static func pcgHash(_ input: SIMD16<UInt32>) -> SIMD16<UInt32> {
        let state = input &* 747_796_405 &+ 2_891_336_453
        let word = ((state &>> ((state &>> 28) &+ 4)) ^ state) &* 277_803_737
        return (word &>> 22) ^ word
    }
}
