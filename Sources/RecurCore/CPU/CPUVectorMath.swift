/// Vectorized transcendental functions on `SIMD16<Float>` (Cephes single-precision polynomials; tanh is
/// Eigen's rational function).
///
/// libm's scalar `expf` costs ~5 ns; an LSTM step needs 5 transcendentals per unit, and a 20k-class
/// softmax one exp per logit, so these run 16 lanes at a time with ~1e-7 relative error.
/// Only operations the stdlib lowers to vector instructions are used (arithmetic, `addingProduct`,
/// comparisons, `replacing` with a scalar, bit casts): its generic conversions (`SIMD16<Int32>(floats)`),
/// `clamped`, `rounded` and `replacing` with a vector operand run lane by lane and are ~30x slower.
typealias FloatVector = SIMD16<Float>
typealias BitVector = SIMD16<UInt32>

enum VectorMath {
    /// e^x, with x clamped to [-87.33, 88.37] (so very negative inputs give ~1e-38, not 0).
    @_transparent  // must inline: out of line, SIMD16 is passed as four 128-bit halves
    static func exp(_ input: FloatVector) -> FloatVector {
        var x = input.replacing(with: 88.37, where: input .> 88.37)
        x = x.replacing(with: -87.33, where: x .< -87.33)
        // Adding 1.5·2^23 rounds x·log2(e) to an integer n, which then sits in the low mantissa bits.
        // Polynomials are Horner steps written as fused multiply-adds: `a * b + c` is two instructions
        // and two roundings, as Swift does not contract it.
        let magic: Float = 12_582_912
        let shifted = FloatVector(repeating: magic).addingProduct(x, 1.442_695_04)
        let n = shifted - magic
        var r = x.addingProduct(n, -0.693_359_375)
        r = r.addingProduct(n, 2.121_944_4e-4)
        let r2 = r * r
        var y = FloatVector(repeating: 1.398_199_950_7e-3).addingProduct(r, 1.987_569_15e-4)
        y = FloatVector(repeating: 8.333_451_907_3e-3).addingProduct(y, r)
        y = FloatVector(repeating: 4.166_579_589_4e-2).addingProduct(y, r)
        y = FloatVector(repeating: 1.666_666_545_9e-1).addingProduct(y, r)
        y = FloatVector(repeating: 5.000_000_120_1e-1).addingProduct(y, r)
        y = (r + 1).addingProduct(y, r2)
        // 2^n from the exponent bits: (n + 127) << 23.
        let integer = unsafeBitCast(shifted, to: BitVector.self) &- 0x4B40_0000
        return y * unsafeBitCast((integer &+ 127) &<< 23, to: FloatVector.self)
    }

    /// 1 / (1 + e^-x).
    @_transparent  // must inline: out of line, SIMD16 is passed as four 128-bit halves
    static func sigmoid(_ x: FloatVector) -> FloatVector {
        1 / (1 + exp(-x))
    }

    /// tanh as Eigen's rational approximation (odd degree 13 over even degree 6; TensorFlow's CPU tanh):
    /// one division and no exp, ~3.4e-7 absolute error. Beyond ±7.905 tanh rounds to ±1 in Float: the input
    /// is clamped there (the polynomials would overflow) and the result set to ±1, which the rational
    /// function misses by a few ulps. NaN passes through the comparisons and stays NaN.
    @_transparent  // must inline: out of line, SIMD16 is passed as four 128-bit halves
    static func tanh(_ x: FloatVector) -> FloatVector {
        let limit: Float = 7.905_311_107_635_498
        var c = x.replacing(with: limit, where: x .> limit)
        c = c.replacing(with: -limit, where: c .< -limit)
        let z = c * c
        var p = FloatVector(repeating: 2.000_187_904_824_77e-13).addingProduct(z, -2.760_768_477_423_55e-16)
        p = FloatVector(repeating: -8.604_671_522_137_35e-11).addingProduct(p, z)
        p = FloatVector(repeating: 5.122_297_090_371_14e-8).addingProduct(p, z)
        p = FloatVector(repeating: 1.485_722_357_179_79e-5).addingProduct(p, z)
        p = FloatVector(repeating: 6.372_619_288_754_36e-4).addingProduct(p, z)
        p = FloatVector(repeating: 4.893_524_558_917_86e-3).addingProduct(p, z)
        var q = FloatVector(repeating: 1.185_347_056_866_54e-4).addingProduct(z, 1.198_258_394_667_02e-6)
        q = FloatVector(repeating: 2.268_434_632_439_00e-3).addingProduct(q, z)
        q = FloatVector(repeating: 4.893_525_185_543_85e-3).addingProduct(q, z)
        return (p * c / q).replacing(with: 1, where: x .>= limit).replacing(with: -1, where: x .<= -limit)
    }

    /// Φ(x) = (1 + erf(x / √2)) / 2, the standard normal CDF, for BERT's exact GELU. erf from Abramowitz &
    /// Stegun 7.1.26 (absolute error below 1.5e-7), on |x| with the sign restored. `gauss` is exp(−x²/2),
    /// which GELU's backward shares with φ(x) (as `Kernels/transformer.cl` computes it).
    @_transparent  // must inline: out of line, SIMD16 is passed as four 128-bit halves
    static func normalCDF(_ x: FloatVector, gauss: FloatVector) -> FloatVector {
        let z = x * 0.707_106_78
        let bits = unsafeBitCast(z, to: BitVector.self)
        let signBit = bits & 0x8000_0000
        let a = unsafeBitCast(bits & 0x7FFF_FFFF, to: FloatVector.self)
        let t = 1 / (1 + 0.327_591_1 * a)
        var poly = FloatVector(repeating: -1.453_152_027).addingProduct(t, 1.061_405_429)
        poly = FloatVector(repeating: 1.421_413_741).addingProduct(poly, t)
        poly = FloatVector(repeating: -0.284_496_736).addingProduct(poly, t)
        poly = FloatVector(repeating: 0.254_829_592).addingProduct(poly, t)
        poly = poly * t
        let erfAbs = 1 - poly * gauss
        let erf = unsafeBitCast(unsafeBitCast(erfAbs, to: BitVector.self) | signBit, to: FloatVector.self)
        return 0.5 * (1 + erf)
    }

    @inline(__always)
    static func load(_ pointer: UnsafePointer<Float>, count: Int) -> FloatVector {
        if count == 16 { return UnsafeRawPointer(pointer).loadUnaligned(as: FloatVector.self) }
        var v = FloatVector()
        for i in 0..<count { v[i] = pointer[i] }
        return v
    }

    @inline(__always)
    static func load(_ pointer: UnsafeMutablePointer<Float>, count: Int) -> FloatVector {
        load(UnsafePointer(pointer), count: count)
    }

    @inline(__always)
    static func store(_ v: FloatVector, _ pointer: UnsafeMutablePointer<Float>, count: Int) {
        if count == 16 {
            UnsafeMutableRawPointer(pointer).storeBytes(of: v, as: FloatVector.self)
            return
        }
        for i in 0..<count { pointer[i] = v[i] }
    }
}

extension VectorMath {
    /// Natural logarithm of positive, finite x (Cephes `logf`: x = m·2^e with m in [√½, √2), a degree-9
    /// polynomial in m − 1); ~1e-7 relative error. The split is integer arithmetic on the bits (as musl's
    /// `logf` does it): a vector `replacing` with a vector operand runs lane by lane.
    @_transparent  // must inline: out of line, SIMD16 is passed as four 128-bit halves
    static func log(_ x: FloatVector) -> FloatVector {
        let bits = unsafeBitCast(x, to: SIMD16<Int32>.self)
        let offset = bits &- 0x3F35_04F3  // √½'s bits: m ≥ √½ keeps the exponent, m < √½ borrows one
        let exponent = offset &>> 23  // arithmetic shift: floor((bits − √½'s bits) / 2^23)
        let m = unsafeBitCast(bits &- (offset & -0x80_0000), to: FloatVector.self) - 1  // m − 1, m in [√½, √2)
        // The exponent as a float: adding 1.5·2^23's bits and subtracting 1.5·2^23 (exact for |e| < 2^22).
        let e = unsafeBitCast(exponent &+ 0x4B40_0000, to: FloatVector.self) - 12_582_912
        let z = m * m
        var y = FloatVector(repeating: 7.037_683_629_2e-2)
        y = y * m - 1.151_461_031_0e-1
        y = y * m + 1.167_699_874_0e-1
        y = y * m - 1.242_014_084_6e-1
        y = y * m + 1.424_932_278_7e-1
        y = y * m - 1.666_805_766_5e-1
        y = y * m + 2.000_071_476_5e-1
        y = y * m - 2.499_999_399_3e-1
        y = y * m + 3.333_333_117_4e-1
        y = y * m * z
        y = y.addingProduct(e, FloatVector(repeating: -2.121_944_40e-4))
        y = y.addingProduct(z, FloatVector(repeating: -0.5))
        return (m + y).addingProduct(e, FloatVector(repeating: 0.693_359_375))
    }

    /// sin and cos of 2π·t for t in [0, 1] (a fraction of a turn, as Box-Muller draws its angle). The turn
    /// splits exactly into quarter turns plus a rest in [−π/4, π/4], where Cephes' `sinf`/`cosf`
    /// polynomials hold; the quarter picks and signs the results. ~1e-7 absolute error.
    @_transparent  // must inline: out of line, SIMD16 is passed as four 128-bit halves
    static func sinCos(turns t: FloatVector) -> (sin: FloatVector, cos: FloatVector) {
        let quarters = t * 4
        let magic: Float = 12_582_912  // 1.5·2^23: adding it rounds to an integer held in the low mantissa bits
        let shifted = quarters + magic
        let quadrant = unsafeBitCast(shifted, to: BitVector.self)
        let x = (quarters - (shifted - magic)) * (Float.pi / 2)
        let z = x * x
        var s = FloatVector(repeating: -1.951_529_589_1e-4)
        s = s * z + 8.332_160_873_6e-3
        s = s * z - 1.666_665_461_1e-1
        s = s * z * x + x
        var c = FloatVector(repeating: 2.443_315_711_809_948e-5)
        c = c * z - 1.388_731_625_493_765e-3
        c = c * z + 4.166_664_568_298_827e-2
        c = c * z * z - 0.5 * z + 1
        // Angle = quadrant·π/2 + x: odd quadrants swap sin and cos; sin is negative in quadrants 2 and 3,
        // cos in quadrants 1 and 2. Bit selects, not `replacing`, which runs lane by lane with a vector operand.
        let swap = 0 &- (quadrant & 1)  // all ones in odd quadrants
        let sBits = unsafeBitCast(s, to: BitVector.self), cBits = unsafeBitCast(c, to: BitVector.self)
        let sinBits = (cBits & swap) | (sBits & ~swap), cosBits = (sBits & swap) | (cBits & ~swap)
        let sinSign = (quadrant & 2) &<< 30, cosSign = ((quadrant &+ 1) & 2) &<< 30
        return (unsafeBitCast(sinBits ^ sinSign, to: FloatVector.self), unsafeBitCast(cosBits ^ cosSign, to: FloatVector.self))
    }
}
