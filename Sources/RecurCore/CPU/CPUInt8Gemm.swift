#if arch(x86_64)
import _Builtin_intrinsics.intel
#endif

/// Int8 GEMM for dynamically quantized inference: C = alpha * A · op(B) + beta * C with op(B) a
/// `CPUInt8Operand` (int8 weights) and A quantized on the fly, as PyTorch's `quantize_dynamic` runs its
/// linear and recurrent layers.
///
/// Each row of A gets its own asymmetric scale and zero point over 0...127 (7 bits, FBGEMM's `reduce_range`):
/// `vpmaddubsw` multiplies unsigned by signed bytes and adds pairs into 16 bits with saturation, and with
/// activations below 128 and weights within ±127 a pair (at most 2 · 127 · 127 = 32,258) never saturates.
/// The integer product is exact; one multiply per element of C turns it back into floats:
/// `C[i, j] = alpha · scaleA[i] · scaleB[j] · (Σ_k qA[i, k] · qB[k, j] − zeroA[i] · Σ_k qB[k, j])`.
/// On x86-64 the micro-kernel is AVX2 (`vpmaddubsw`, `vpmaddwd`, 32 multiply-adds per pair of instructions
/// against 8 per FMA); elsewhere a portable loop gives the same integers.
enum CPUInt8Gemm {
    static let rowsPerBlock = 4
    /// Rows of A swept per pass over a thread's panels: their bytes stay in L1 while the panels stream by.
    static let rowChunk = 64

    /// A quantized `[m, paddedK]`, one scale and zero point per row.
    struct QuantizedRows {
        let values: UnsafeMutablePointer<UInt8>
        let scales: UnsafeMutablePointer<Float>
        let zeros: UnsafeMutablePointer<Int32>
        let stride: Int
    }

    /// Quantizes rows `rows` of A (`ld` apart, `k` values each) into `out`; the padding columns become 0.
    static func quantizeRows(_ a: UnsafePointer<Float>, ld: Int, rows: Range<Int>, k: Int, into out: QuantizedRows) {
        for i in rows {
            let row = a + i * ld
            let (lowest, highest) = range(row, count: k)
            // The range always holds 0, so that 0 (padding, ended sequences) is exact.
            let scale = highest > lowest ? (highest - lowest) / 127 : 1
            let zero = max(0, min(127, (-lowest / scale).rounded(.toNearestOrEven)))
            out.scales[i] = scale
            out.zeros[i] = Int32(zero)
            let target = out.values + i * out.stride
            let done = quantizeVectorized(row, count: k, scale: scale, zero: Int32(zero), into: target)
            for p in done..<k {
                target[p] = UInt8(max(0, min(127, (row[p] / scale).rounded(.toNearestOrEven) + zero)))
            }
            for padding in k..<out.stride { target[padding] = 0 }
        }
    }

    /// (min(0, x...), max(0, x...)).
    @inline(__always)
    private static func range(_ x: UnsafePointer<Float>, count: Int) -> (Float, Float) {
        var lowest: Float = 0, highest: Float = 0
        var p = 0
        #if arch(x86_64)
        // Intrinsics here and below: Swift's generic SIMD min, max and conversions are calls per vector.
        var low = _mm256_setzero_ps(), high = _mm256_setzero_ps()
        while p + 8 <= count {
            let v = UnsafeRawPointer(x + p).loadUnaligned(as: __m256.self)
            low = _mm256_min_ps(low, v)
            high = _mm256_max_ps(high, v)
            p += 8
        }
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 16) { lanes in
            UnsafeMutableRawPointer(lanes.baseAddress!).storeBytes(of: low, as: __m256.self)
            UnsafeMutableRawPointer(lanes.baseAddress! + 8).storeBytes(of: high, as: __m256.self)
            for lane in 0..<8 {
                lowest = min(lowest, lanes[lane])
                highest = max(highest, lanes[8 + lane])
            }
        }
        #endif
        while p < count {
            lowest = min(lowest, x[p])
            highest = max(highest, x[p])
            p += 1
        }
        return (lowest, highest)
    }

    /// Quantizes the first multiple of 32 values of `x` (`vcvtps2dq` rounds half to even, as the scalar tail
    /// does) and returns how many it did.
    @inline(__always)
    private static func quantizeVectorized(_ x: UnsafePointer<Float>, count: Int, scale: Float, zero: Int32,
                                           into target: UnsafeMutablePointer<UInt8>) -> Int {
        var p = 0
        #if arch(x86_64)
        let scales = _mm256_set1_ps(scale), zeros = _mm256_set1_epi32(zero)
        let floor = _mm256_setzero_si256(), ceiling = _mm256_set1_epi32(127)
        // packs/packus interleave 128-bit lanes; this puts the 32 bytes back in order.
        let order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)
        @inline(__always) func quantized(_ offset: Int) -> __m256i {
            let v = UnsafeRawPointer(x + p + offset).loadUnaligned(as: __m256.self)
            let q = _mm256_add_epi32(_mm256_cvtps_epi32(_mm256_div_ps(v, scales)), zeros)
            return _mm256_min_epi32(_mm256_max_epi32(q, floor), ceiling)
        }
        while p + 32 <= count {
            let low = _mm256_packs_epi32(quantized(0), quantized(8))
            let high = _mm256_packs_epi32(quantized(16), quantized(24))
            let bytes = _mm256_permutevar8x32_epi32(_mm256_packus_epi16(low, high), order)
            UnsafeMutableRawPointer(target + p).storeBytes(of: bytes, as: __m256i.self)
            p += 32
        }
        #endif
        return p
    }

    static func gemm(pool: CPUWorkerPool, m: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
                     b: CPUInt8Operand, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        if m == 0 || b.n == 0 { return }
        let tasks = m * b.n * b.k >= CPUGemm.parallelThreshold ? min(pool.threadCount, b.panelCount) : 1
        // Each thread quantizes all of A into its own scratch (a 1/(2n) share of the work, ~2% at n = 1024)
        // rather than splitting it and waiting at a second hand-over, which costs more on a recurrent step.
        pool.run(tasks: tasks) { task, worker in
            let quantized = quantizeIntoScratch(a, lda: lda, m: m, b: b, pool: pool, worker: worker)
            let panels = (b.panelCount * task / tasks)..<(b.panelCount * (task + 1) / tasks)
            multiplyPanels(panels, m: m, alpha: alpha, a: quantized, b: b, beta: beta, c: c, ldc: ldc)
        }
    }

    /// Rows `0..<m` of A quantized into the worker's scratch, padded to the operand's depth.
    static func quantizeIntoScratch(_ a: UnsafePointer<Float>, lda: Int, m: Int, b: CPUInt8Operand,
                                    pool: CPUWorkerPool, worker: Int) -> QuantizedRows {
        let stride = b.paddedK
        let raw = UnsafeMutableRawPointer(pool.scratch(worker: worker, count: (m * stride + 3) / 4 + 2 * m))
        let quantized = QuantizedRows(
            values: (raw + m * 8).assumingMemoryBound(to: UInt8.self),
            scales: raw.assumingMemoryBound(to: Float.self),
            zeros: (raw + m * 4).assumingMemoryBound(to: Int32.self), stride: stride)
        quantizeRows(a, ld: lda, rows: 0..<m, k: b.k, into: quantized)
        return quantized
    }

    /// One thread's columns: for each chunk of rows, every panel, four rows at a time.
    static func multiplyPanels(_ panels: Range<Int>, m: Int, alpha: Float, a: QuantizedRows, b: CPUInt8Operand,
                                       beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        let width = CPUInt8Operand.panelWidth
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: rowsPerBlock * width) { tile in
            let sums = tile.baseAddress!
            var chunk = 0
            while chunk < m {
                let chunkEnd = min(m, chunk + rowChunk)
                for panel in panels {
                    let panelB = b.panels + panel * b.paddedK * width
                    let column = panel * width
                    let columns = min(width, b.n - column)
                    var i = chunk
                    while i < chunkEnd {
                        let rows = min(rowsPerBlock, chunkEnd - i)
                        multiplyBlock(rows: rows, groups: b.paddedK / 4, a: a.values + i * a.stride, lda: a.stride,
                                      b: panelB, sums: sums)
                        store(sums, rows: rows, firstRow: i, column: column, columns: columns, alpha: alpha,
                              a: a, b: b, beta: beta, c: c, ldc: ldc)
                        i += rows
                    }
                }
                chunk = chunkEnd
            }
        }
    }

    /// `sums[r][0..<16]` = the integer products of rows `0..<rows` of `a` with one panel.
    @inline(__always)
    static func multiplyBlock(rows: Int, groups: Int, a: UnsafePointer<UInt8>, lda: Int, b: UnsafePointer<Int8>,
                              sums: UnsafeMutablePointer<Int32>) {
        #if arch(x86_64)
        // Missing rows read row 0 again; their sums are not stored.
        let row0 = UnsafeRawPointer(a)
        let row1 = UnsafeRawPointer(a + (rows > 1 ? lda : 0))
        let row2 = UnsafeRawPointer(a + (rows > 2 ? 2 * lda : 0))
        let row3 = UnsafeRawPointer(a + (rows > 3 ? 3 * lda : 0))
        let ones = _mm256_set1_epi16(1)
        var c00 = _mm256_setzero_si256(), c01 = _mm256_setzero_si256()
        var c10 = _mm256_setzero_si256(), c11 = _mm256_setzero_si256()
        var c20 = _mm256_setzero_si256(), c21 = _mm256_setzero_si256()
        var c30 = _mm256_setzero_si256(), c31 = _mm256_setzero_si256()
        var pb = UnsafeRawPointer(b)
        @inline(__always) func accumulate(_ sum: __m256i, _ x: __m256i, _ w: __m256i) -> __m256i {
            _mm256_add_epi32(sum, _mm256_madd_epi16(_mm256_maddubs_epi16(x, w), ones))
        }
        for g in 0..<groups {
            let b0 = pb.loadUnaligned(as: __m256i.self)
            let b1 = pb.loadUnaligned(fromByteOffset: 32, as: __m256i.self)
            var x = _mm256_set1_epi32(row0.loadUnaligned(fromByteOffset: 4 * g, as: Int32.self))
            c00 = accumulate(c00, x, b0); c01 = accumulate(c01, x, b1)
            x = _mm256_set1_epi32(row1.loadUnaligned(fromByteOffset: 4 * g, as: Int32.self))
            c10 = accumulate(c10, x, b0); c11 = accumulate(c11, x, b1)
            x = _mm256_set1_epi32(row2.loadUnaligned(fromByteOffset: 4 * g, as: Int32.self))
            c20 = accumulate(c20, x, b0); c21 = accumulate(c21, x, b1)
            x = _mm256_set1_epi32(row3.loadUnaligned(fromByteOffset: 4 * g, as: Int32.self))
            c30 = accumulate(c30, x, b0); c31 = accumulate(c31, x, b1)
            pb += 64
        }
        let out = UnsafeMutableRawPointer(sums)
        out.storeBytes(of: c00, toByteOffset: 0, as: __m256i.self); out.storeBytes(of: c01, toByteOffset: 32, as: __m256i.self)
        out.storeBytes(of: c10, toByteOffset: 64, as: __m256i.self); out.storeBytes(of: c11, toByteOffset: 96, as: __m256i.self)
        out.storeBytes(of: c20, toByteOffset: 128, as: __m256i.self); out.storeBytes(of: c21, toByteOffset: 160, as: __m256i.self)
        out.storeBytes(of: c30, toByteOffset: 192, as: __m256i.self); out.storeBytes(of: c31, toByteOffset: 224, as: __m256i.self)
        #else
        portableBlock(rows: rows, groups: groups, a: a, lda: lda, b: b, sums: sums)
        #endif
    }

    /// The same integers without vector instructions (non-x86 builds, and the tests' reference).
    static func portableBlock(rows: Int, groups: Int, a: UnsafePointer<UInt8>, lda: Int, b: UnsafePointer<Int8>,
                              sums: UnsafeMutablePointer<Int32>) {
        let width = CPUInt8Operand.panelWidth
        for r in 0..<rows {
            for j in 0..<width {
                var sum: Int32 = 0
                for g in 0..<groups {
                    for q in 0..<4 {
                        sum += Int32(a[r * lda + 4 * g + q]) * Int32(b[g * width * 4 + j * 4 + q])
                    }
                }
                sums[r * width + j] = sum
            }
        }
    }

    /// Dequantizes a block of sums into C. The micro-kernel's 32-byte halves hold columns 0-7 and 8-15 of
    /// each row, in order, so `sums[r * 16 + j]` is column j.
    @inline(__always)
    private static func store(_ sums: UnsafeMutablePointer<Int32>, rows: Int, firstRow: Int, column: Int, columns: Int,
                              alpha: Float, a: QuantizedRows, b: CPUInt8Operand, beta: Float,
                              c: UnsafeMutablePointer<Float>, ldc: Int) {
        let width = CPUInt8Operand.panelWidth
        withUnsafeTemporaryAllocation(of: Float.self, capacity: width) { buffer in
            let values = buffer.baseAddress!
            for r in 0..<rows {
                let i = firstRow + r
                dequantize(sums + r * width, zero: a.zeros[i], scale: alpha * a.scales[i],
                           columnSums: b.columnSums + column, columnScales: b.scales + column, into: values)
                let target = c + i * ldc + column
                if beta == 0 {
                    target.update(from: values, count: columns)
                } else {
                    for j in 0..<columns { target[j] = values[j] + beta * target[j] }
                }
            }
        }
    }

    /// `out[j] = scale · columnScales[j] · (sums[j] − zero · columnSums[j])` for 16 columns: the subtraction in
    /// integers (exact), then one rounding to float.
    @inline(__always)
    private static func dequantize(_ sums: UnsafePointer<Int32>, zero: Int32, scale: Float, columnSums: UnsafePointer<Int32>,
                                   columnScales: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        #if arch(x86_64)
        // Intrinsics: Swift's generic SIMD Int32 -> Float conversion is not specialized here (a call per vector).
        let zeros = _mm256_set1_epi32(zero), scales = _mm256_set1_ps(scale)
        for half in 0..<2 {
            let offset = 32 * half
            let integer = _mm256_sub_epi32(
                UnsafeRawPointer(sums).loadUnaligned(fromByteOffset: offset, as: __m256i.self),
                _mm256_mullo_epi32(zeros, UnsafeRawPointer(columnSums).loadUnaligned(fromByteOffset: offset, as: __m256i.self)))
            let columnScale = UnsafeRawPointer(columnScales).loadUnaligned(fromByteOffset: offset, as: __m256.self)
            let value = _mm256_mul_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(integer), columnScale), scales)
            UnsafeMutableRawPointer(out).storeBytes(of: value, toByteOffset: offset, as: __m256.self)
        }
        #else
        for j in 0..<CPUInt8Operand.panelWidth {
            out[j] = Float(sums[j] &- zero &* columnSums[j]) * columnScales[j] * scale
        }
        #endif
    }
}
