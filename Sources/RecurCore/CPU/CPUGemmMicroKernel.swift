import Foundation

/// The GEMM micro-kernel: an `mr x nr` block of C held in vector registers while k runs over one packed
/// A panel (`[kc][mr]`) and one packed B panel (`[kc][nr]`).
///
/// Its best shape is set by the register file, so there are two:
/// - 8 x 32 in sixteen `SIMD16<Float>`: AVX-512 (32 zmm registers).
/// - 6 x 16 in twelve `SIMD8<Float>`: AVX2 and NEON (16 ymm / 32 q registers). On AVX2 the 8 x 32 block
///   would need 32 ymm accumulators and spills, running at a third of the 6 x 16 kernel's speed.
/// Both add the products for each element of C in the same order (p = 0, 1, ... with one FMA each), so
/// they give bit-identical results and the choice never changes a training run.
public enum CPUGemmKernel: String, CaseIterable, Sendable {
    case wide = "8x32"
    case narrow = "6x16"

    var mr: Int { self == .wide ? 8 : 6 }
    var nr: Int { self == .wide ? 32 : 16 }

    /// The kernel this process uses: `RECUR_GEMM_KERNEL` (8x32 or 6x16) if set, otherwise the faster of the
    /// two timed on this CPU. Compile flags (`-target-cpu`) and the CPU together decide which one spills,
    /// so measuring is the only answer that is right for every build.
    public static let preferred: CPUGemmKernel = {
        if let name = ProcessInfo.processInfo.environment["RECUR_GEMM_KERNEL"],
           let kernel = CPUGemmKernel(rawValue: name) {
            return kernel
        }
        let timed = allCases.map { (kernel: $0, gflops: $0.measuredGflops()) }
        return timed.max { $0.gflops < $1.gflops }?.kernel ?? .wide
    }()

    /// One thread's GFLOP/s on L1-resident panels (best of five ~0.3 ms runs).
    func measuredGflops() -> Double {
        let kc = 128, calls = 40
        // Panels are 64-byte aligned, as the packing scratch is: the kernels load B with aligned vector loads.
        func panel(_ count: Int, _ value: Float) -> UnsafeMutablePointer<Float> {
            let raw = UnsafeMutableRawPointer.allocate(byteCount: count * 4, alignment: 64)
            return raw.initializeMemory(as: Float.self, repeating: value, count: count)
        }
        let a = panel(kc * mr, 0.5), b = panel(kc * nr, 0.25), c = panel(mr * nr, 0)
        defer { a.deallocate(); b.deallocate(); c.deallocate() }
        var best = Double.infinity
        for _ in 0..<5 {
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<calls {
                multiply(kc: kc, a: a, b: b, c: c, ldc: nr, rows: mr, columns: nr, alpha: 1, beta: 1)
            }
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start))
        }
        return Double(2 * mr * nr * kc * calls) / best
    }

    /// C[0..<rows, 0..<columns] = alpha * (A panel · B panel) + beta * C; beta == 0 never reads C.
    @inline(__always)
    func multiply(
        kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, ldc: Int,
        rows: Int, columns: Int, alpha: Float, beta: Float
    ) {
        switch self {
        case .wide: GemmBlock8x32.multiply(kc: kc, a: a, b: b, c: c, ldc: ldc, rows: rows, columns: columns, alpha: alpha, beta: beta)
        case .narrow: GemmBlock6x16.multiply(kc: kc, a: a, b: b, c: c, ldc: ldc, rows: rows, columns: columns, alpha: alpha, beta: beta)
        }
    }
}

/// 8 x 32: per k, two vector loads of B, eight broadcasts of A and sixteen FMAs.
enum GemmBlock8x32 {
    @inline(never)
    static func multiply(
        kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, ldc: Int,
        rows: Int, columns: Int, alpha: Float, beta: Float
    ) {
        typealias V = SIMD16<Float>
        var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V(), c30 = V(), c31 = V()
        var c40 = V(), c41 = V(), c50 = V(), c51 = V(), c60 = V(), c61 = V(), c70 = V(), c71 = V()
        var pa = a
        var pb = UnsafeRawPointer(b)
        for _ in 0..<kc {
            let b0 = pb.load(as: V.self)
            let b1 = pb.load(fromByteOffset: 64, as: V.self)
            var s = V(repeating: pa[0]); c00.addProduct(s, b0); c01.addProduct(s, b1)
            s = V(repeating: pa[1]); c10.addProduct(s, b0); c11.addProduct(s, b1)
            s = V(repeating: pa[2]); c20.addProduct(s, b0); c21.addProduct(s, b1)
            s = V(repeating: pa[3]); c30.addProduct(s, b0); c31.addProduct(s, b1)
            s = V(repeating: pa[4]); c40.addProduct(s, b0); c41.addProduct(s, b1)
            s = V(repeating: pa[5]); c50.addProduct(s, b0); c51.addProduct(s, b1)
            s = V(repeating: pa[6]); c60.addProduct(s, b0); c61.addProduct(s, b1)
            s = V(repeating: pa[7]); c70.addProduct(s, b0); c71.addProduct(s, b1)
            pa += 8
            pb += 128
        }
        if rows == 8 && columns == 32 {
            let alphaV = V(repeating: alpha), betaV = V(repeating: beta)
            storeRow(c, c00, c01, alphaV, betaV); storeRow(c + ldc, c10, c11, alphaV, betaV)
            storeRow(c + 2 * ldc, c20, c21, alphaV, betaV); storeRow(c + 3 * ldc, c30, c31, alphaV, betaV)
            storeRow(c + 4 * ldc, c40, c41, alphaV, betaV); storeRow(c + 5 * ldc, c50, c51, alphaV, betaV)
            storeRow(c + 6 * ldc, c60, c61, alphaV, betaV); storeRow(c + 7 * ldc, c70, c71, alphaV, betaV)
            return
        }
        withUnsafeTemporaryAllocation(of: V.self, capacity: 16) { tile in
            tile[0] = c00; tile[1] = c01; tile[2] = c10; tile[3] = c11; tile[4] = c20; tile[5] = c21
            tile[6] = c30; tile[7] = c31; tile[8] = c40; tile[9] = c41; tile[10] = c50; tile[11] = c51
            tile[12] = c60; tile[13] = c61; tile[14] = c70; tile[15] = c71
            storeEdge(tile, width: 32, c: c, ldc: ldc, rows: rows, columns: columns, alpha: alpha, beta: beta)
        }
    }
}

/// 6 x 16: per k, two vector loads of B, six broadcasts of A and twelve FMAs (15 of 16 ymm registers).
enum GemmBlock6x16 {
    @inline(never)
    static func multiply(
        kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, ldc: Int,
        rows: Int, columns: Int, alpha: Float, beta: Float
    ) {
        typealias V = SIMD8<Float>
        var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V()
        var c30 = V(), c31 = V(), c40 = V(), c41 = V(), c50 = V(), c51 = V()
        var pa = a
        var pb = UnsafeRawPointer(b)
        for _ in 0..<kc {
            let b0 = pb.load(as: V.self)
            let b1 = pb.load(fromByteOffset: 32, as: V.self)
            var s = V(repeating: pa[0]); c00.addProduct(s, b0); c01.addProduct(s, b1)
            s = V(repeating: pa[1]); c10.addProduct(s, b0); c11.addProduct(s, b1)
            s = V(repeating: pa[2]); c20.addProduct(s, b0); c21.addProduct(s, b1)
            s = V(repeating: pa[3]); c30.addProduct(s, b0); c31.addProduct(s, b1)
            s = V(repeating: pa[4]); c40.addProduct(s, b0); c41.addProduct(s, b1)
            s = V(repeating: pa[5]); c50.addProduct(s, b0); c51.addProduct(s, b1)
            pa += 6
            pb += 64
        }
        if rows == 6 && columns == 16 {
            let alphaV = V(repeating: alpha), betaV = V(repeating: beta)
            storeRow(c, c00, c01, alphaV, betaV); storeRow(c + ldc, c10, c11, alphaV, betaV)
            storeRow(c + 2 * ldc, c20, c21, alphaV, betaV); storeRow(c + 3 * ldc, c30, c31, alphaV, betaV)
            storeRow(c + 4 * ldc, c40, c41, alphaV, betaV); storeRow(c + 5 * ldc, c50, c51, alphaV, betaV)
            return
        }
        withUnsafeTemporaryAllocation(of: V.self, capacity: 12) { tile in
            tile[0] = c00; tile[1] = c01; tile[2] = c10; tile[3] = c11; tile[4] = c20; tile[5] = c21
            tile[6] = c30; tile[7] = c31; tile[8] = c40; tile[9] = c41; tile[10] = c50; tile[11] = c51
            storeEdge(tile, width: 16, c: c, ldc: ldc, rows: rows, columns: columns, alpha: alpha, beta: beta)
        }
    }
}

/// One row of a full block: c = alpha * (low, high) + beta * c; beta == 0 never reads c (it may hold NaN).
@inline(__always)
private func storeRow<V: SIMD>(_ c: UnsafeMutablePointer<Float>, _ low: V, _ high: V, _ alpha: V, _ beta: V)
where V.Scalar == Float {
    let raw = UnsafeMutableRawPointer(c)
    let size = MemoryLayout<V>.size
    if beta[0] == 0 {
        raw.storeBytes(of: alpha * low, as: V.self)
        raw.storeBytes(of: alpha * high, toByteOffset: size, as: V.self)
    } else {
        let oldLow = raw.loadUnaligned(as: V.self)
        let oldHigh = raw.loadUnaligned(fromByteOffset: size, as: V.self)
        raw.storeBytes(of: (alpha * low).addingProduct(beta, oldLow), as: V.self)
        raw.storeBytes(of: (alpha * high).addingProduct(beta, oldHigh), toByteOffset: size, as: V.self)
    }
}

/// An edge block writes only its valid `rows x columns` corner; the tile holds `width` columns per row.
@inline(__always)
private func storeEdge<V: SIMD>(
    _ tile: UnsafeMutableBufferPointer<V>, width: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
    rows: Int, columns: Int, alpha: Float, beta: Float
) where V.Scalar == Float {
    let values = UnsafeRawPointer(tile.baseAddress!).assumingMemoryBound(to: Float.self)
    for i in 0..<rows {
        let row = c + i * ldc
        for j in 0..<columns {
            let product = alpha * values[i * width + j]
            row[j] = beta == 0 ? product : product + beta * row[j]
        }
    }
}
