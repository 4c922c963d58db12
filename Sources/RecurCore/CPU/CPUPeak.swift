import Foundation

/// This machine's measured FP32 peak: independent fused multiply-adds on every pool thread, the
/// instruction mix of the GEMM micro-kernels without their loads, in SIMD16 and in SIMD8 (twelve SIMD16
/// chains spill on AVX2's sixteen registers; SIMD8 leaves half of AVX-512 idle): the faster counts.
/// `recur bench kernels` divides by it, so "% of peak" is measured on the machine at hand rather than
/// taken from a datasheet.
public enum CPUPeak {
    /// GFLOP/s over all of the CPU backend's threads (best of three short runs per vector width).
    public static func measureGflops() -> Double {
        max(measureGflops(SIMD16<Float>.self), measureGflops(SIMD8<Float>.self))
    }

    private static func measureGflops<V: SIMD>(_: V.Type) -> Double where V.Scalar == Float {
        let pool = CPUWorkerPool.shared
        let iterations = 64_000_000 / V.scalarCount
        var best = 0.0
        for _ in 0..<3 {
            let start = DispatchTime.now().uptimeNanoseconds
            pool.run(tasks: pool.threadCount) { task, _ in fmaLoop(V.self, iterations: iterations, seed: Float(task)) }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            // 12 chains x lanes x 2 FLOP per iteration.
            best = max(best, Double(pool.threadCount * iterations * 12 * V.scalarCount * 2) / seconds / 1e9)
        }
        return best
    }

    /// Twelve independent accumulators cover FMA latency x ports on current x86 and ARM cores.
    @inline(never)
    @_specialize(where V == SIMD16<Float>)
    @_specialize(where V == SIMD8<Float>)
    private static func fmaLoop<V: SIMD>(_: V.Type, iterations: Int, seed: Float) where V.Scalar == Float {
        let scale = V(repeating: 0.999_999), step = V(repeating: 1e-7)
        var a0 = V(repeating: seed), a1 = a0 + 1, a2 = a0 + 2, a3 = a0 + 3, a4 = a0 + 4, a5 = a0 + 5
        var a6 = a0 + 6, a7 = a0 + 7, a8 = a0 + 8, a9 = a0 + 9, a10 = a0 + 10, a11 = a0 + 11
        for _ in 0..<iterations {
            a0 = step.addingProduct(a0, scale); a1 = step.addingProduct(a1, scale); a2 = step.addingProduct(a2, scale)
            a3 = step.addingProduct(a3, scale); a4 = step.addingProduct(a4, scale); a5 = step.addingProduct(a5, scale)
            a6 = step.addingProduct(a6, scale); a7 = step.addingProduct(a7, scale); a8 = step.addingProduct(a8, scale)
            a9 = step.addingProduct(a9, scale); a10 = step.addingProduct(a10, scale); a11 = step.addingProduct(a11, scale)
        }
        let total = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11
        // Keeps the loop from being optimized away.
        if total.sum() == .infinity { print("") }
    }
}
