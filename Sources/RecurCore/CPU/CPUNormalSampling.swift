/// Normal draws from random bits by Box-Muller, 16 pairs at a time.
///
/// A large embedding's N(0, 1) initialisation was most of the start-up time with libm's scalar double
/// `log`, `sin` and `cos` (2.56M draws: ~60 ms on two cores); the float polynomials of `VectorMath` take
/// a few milliseconds on one.
public enum NormalSampling {
    /// The random bits are read as 32-bit words, 2 per pair, in blocks of n = 16 pairs (fewer in the last):
    /// the block's first n words give the radii, r = √(−2 ln u₁) with u₁ = (word + ½)·2⁻³² in (0, 1), its
    /// next n the angles, 2π·u₂ with u₂ = (word >> 9)·2⁻²³ in [0, 1). The block's output is its n values
    /// std·r·cos followed by its n values std·r·sin (the same layout for the words and the values keeps
    /// every load and store a whole vector). `output.count` may be odd: the last sine is dropped.
    public static func boxMuller(words: UnsafeBufferPointer<UInt64>, std: Float, output: UnsafeMutableBufferPointer<Float>) {
        let pairs = (output.count + 1) / 2
        precondition(words.count >= pairs, "Box-Muller needs one 64-bit word per pair of normals")
        guard pairs > 0, let bits = UnsafeRawPointer(words.baseAddress)?.assumingMemoryBound(to: UInt32.self),
              let values = output.baseAddress else { return }
        var start = 0
        while start < pairs {
            let lanes = min(16, pairs - start)
            let radiusBits = load(bits + 2 * start, count: lanes), angleBits = load(bits + 2 * start + lanes, count: lanes)
            // (word + ½)·2⁻³² keeps u₁ off 0 (whose log is −∞); small words keep their precision, which is
            // where the tails come from. u₁ rounds to 1 for the largest words: then r = 0.
            let u1 = (exactFloat(radiusBits &>> 16) * 65_536 + exactFloat(radiusBits & 0xFFFF) + 0.5) * 0x1p-32
            let u2 = exactFloat(angleBits &>> 9) * 0x1p-23
            var radiusSquared = -2 * VectorMath.log(u1)
            radiusSquared = radiusSquared.replacing(with: 0, where: radiusSquared .< 0)
            let radius = radiusSquared.squareRoot() * std
            let (sin, cos) = VectorMath.sinCos(turns: u2)
            let first = values + 2 * start
            VectorMath.store(radius * cos, first, count: lanes)
            VectorMath.store(radius * sin, first + lanes, count: min(lanes, output.count - 2 * start - lanes))
            start += lanes
        }
    }

    @inline(__always)
    private static func load(_ pointer: UnsafePointer<UInt32>, count: Int) -> BitVector {
        if count == 16 { return UnsafeRawPointer(pointer).loadUnaligned(as: BitVector.self) }
        var v = BitVector()
        for i in 0..<count { v[i] = pointer[i] }
        return v
    }

    /// Integers below 2²³ as floats, without the stdlib's lane-by-lane conversion: OR them into the
    /// mantissa of 2²³ and subtract it.
    @_transparent
    private static func exactFloat(_ v: BitVector) -> FloatVector {
        unsafeBitCast(v | 0x4B00_0000, to: FloatVector.self) - 8_388_608
    }
}
