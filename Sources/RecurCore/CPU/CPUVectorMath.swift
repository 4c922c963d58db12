/// Vectorized transcendental functions on `SIMD16<Float>` (Cephes single-precision polynomials).
///
/// libm's scalar `expf` costs ~5 ns; an LSTM step needs 5 transcendentals per unit, and a 20k-class
/// softmax one exp per logit, so these run 16 lanes at a time with ~1e-7 relative error.
typealias FloatVector = SIMD16<Float>

enum VectorMath {
    /// e^x; inputs below -87.3 give ~1e-38 instead of 0, above 88.3 give +inf's neighbour (clamped).
    @inline(__always)
    static func exp(_ x: FloatVector) -> FloatVector {
        let clamped = x.clamped(lowerBound: FloatVector(repeating: -87.33), upperBound: FloatVector(repeating: 88.37))
        let n = (clamped * 1.442_695_04).rounded(.toNearestOrEven)
        var r = clamped.addingProduct(n, FloatVector(repeating: -0.693_359_375))
        r = r.addingProduct(n, FloatVector(repeating: 2.121_944_4e-4))
        let r2 = r * r
        var y = FloatVector(repeating: 1.987_569_15e-4)
        y = y * r + 1.398_199_950_7e-3
        y = y * r + 8.333_451_907_3e-3
        y = y * r + 4.166_579_589_4e-2
        y = y * r + 1.666_666_545_9e-1
        y = y * r + 5.000_000_120_1e-1
        y = y * r2 + r + 1
        // Scale by 2^n through the exponent bits.
        let exponent = (SIMD16<Int32>(n) &+ 127) &<< 23
        return y * unsafeBitCast(exponent, to: FloatVector.self)
    }

    /// 1 / (1 + e^-x).
    @inline(__always)
    static func sigmoid(_ x: FloatVector) -> FloatVector {
        1 / (1 + exp(-x))
    }

    /// tanh: an odd polynomial near 0 (where 1 - 2/(e^2x + 1) would cancel), the exp form elsewhere.
    @inline(__always)
    static func tanh(_ x: FloatVector) -> FloatVector {
        let magnitude = x.clamped(lowerBound: FloatVector(repeating: -9), upperBound: FloatVector(repeating: 9))
        let a = pointwiseMax(magnitude, -magnitude)
        let large = 1 - 2 / (exp(a + a) + 1)
        let z = x * x
        var small = FloatVector(repeating: -5.704_988_727_45e-3)
        small = small * z + 2.063_908_879_54e-2
        small = small * z - 5.373_971_555_31e-2
        small = small * z + 1.333_144_220_36e-1
        small = small * z - 3.333_328_194_22e-1
        small = (small * z) * x + x
        let signed = large.replacing(with: -large, where: magnitude .< 0)
        return signed.replacing(with: small, where: a .< 0.625)
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
