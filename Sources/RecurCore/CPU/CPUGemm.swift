/// Single-precision GEMM in pure Swift: C = alpha * op(A) * op(B) + beta * C, row-major.
///
/// The GotoBLAS/BLIS structure, with the vector dimension along C's rows (n is contiguous):
/// - op(B) is packed, KC rows at a time, into panels of `nr` columns (`[kc][nr]`, zero-padded);
///   one panel (32 KB at nr = 32, KC = 256) stays in L1 while the micro-kernel sweeps down the rows of C.
/// - op(A) is packed into panels of `mr` rows (`[kc][mr]`, zero-padded), MC rows at a time (L2).
/// - The micro-kernel (`CPUGemmKernel`: 8 x 32 or 6 x 16, whichever suits the registers) keeps an
///   mr x nr block of C in vector accumulators.
/// - Threads split C into a grid of blocks, preferring to split columns (each thread then packs only its
///   own part of B, which is the larger operand in the recurrent case m = batch). Each thread packs into
///   its own persistent scratch, so a call allocates nothing and needs no barrier.
enum CPUGemm {
    static let kc = 256
    /// A multiple of both kernels' mr (8 and 6).
    static let mc = 120
    static let nc = 2048

    /// Below this many multiply-adds a single thread is faster than waking the others.
    static let parallelThreshold = 96 * 96 * 96

    struct Operand {
        let base: UnsafePointer<Float>
        let ld: Int
        let transposed: Bool
    }

    /// op(B) packed in full: for each KC depth block, all nr-column panels, as `packB` lays them out.
    static func packedBCount(k: Int, n: Int, kernel: CPUGemmKernel) -> Int { k * paddedWidth(n, kernel.nr) }
    static func paddedWidth(_ n: Int, _ nr: Int) -> Int { (n + nr - 1) / nr * nr }

    static func packWholeB(_ b: Operand, k: Int, n: Int, kernel: CPUGemmKernel, into packed: UnsafeMutablePointer<Float>) {
        var p0 = 0
        while p0 < k {
            let kBlock = min(kc, k - p0)
            packB(b, depth: p0, count: kBlock, column: 0, width: n, nr: kernel.nr,
                  into: packed + p0 * paddedWidth(n, kernel.nr))
            p0 += kBlock
        }
    }

    static func gemm(
        pool: CPUWorkerPool, kernel: CPUGemmKernel, m: Int, n: Int, k: Int, alpha: Float,
        a: Operand, b: Operand, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int,
        prepackedB: UnsafePointer<Float>? = nil
    ) {
        if m == 0 || n == 0 { return }
        if k == 0 || alpha == 0 {
            scaleC(m: m, n: n, beta: beta, c: c, ldc: ldc)
            return
        }
        let (mr, nr) = (kernel.mr, kernel.nr)
        let grid = threadGrid(m: m, n: n, k: k, threads: pool.threadCount, kernel: kernel)
        let rowPanels = (m + mr - 1) / mr
        let columnPanels = (n + nr - 1) / nr
        let scratchCount = mc * kc + kc * min(nc, columnPanels * nr)
        pool.run(tasks: grid.rows * grid.columns) { task, worker in
            let rowBlock = task / grid.columns
            let columnBlock = task % grid.columns
            let rowStart = rowPanels * rowBlock / grid.rows * mr
            let rowEnd = min(m, rowPanels * (rowBlock + 1) / grid.rows * mr)
            let columnStart = columnPanels * columnBlock / grid.columns * nr
            let columnEnd = min(n, columnPanels * (columnBlock + 1) / grid.columns * nr)
            if rowStart >= rowEnd || columnStart >= columnEnd { return }
            let scratch = pool.scratch(worker: worker, count: scratchCount)
            gemmBlock(
                kernel: kernel, rows: rowStart..<rowEnd, columns: columnStart..<columnEnd, k: k, alpha: alpha,
                a: a, b: b, beta: beta, c: c, ldc: ldc,
                packedA: scratch, packedB: scratch + mc * kc, prepackedB: prepackedB, paddedN: paddedWidth(n, nr))
        }
    }

    /// Many independent products (attention's per-head GEMMs): the threads split the batch, each running
    /// whole products single-threaded in its own scratch, since one head's product is too small to split.
    /// `offsets(i)` gives the element offsets of A_i, B_i and C_i from the three bases.
    static func batched(
        pool: CPUWorkerPool, kernel: CPUGemmKernel, count: Int, m: Int, n: Int, k: Int, alpha: Float,
        a: Operand, b: Operand, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int,
        offsets: (Int) -> (a: Int, b: Int, c: Int)
    ) {
        if m == 0 || n == 0 || count == 0 { return }
        let scratchCount = mc * kc + kc * min(nc, paddedWidth(n, kernel.nr))
        pool.run(tasks: min(count, pool.threadCount)) { task, worker in
            let scratch = pool.scratch(worker: worker, count: scratchCount)
            let parts = min(count, pool.threadCount)
            for index in (count * task / parts)..<(count * (task + 1) / parts) {
                let (aOffset, bOffset, cOffset) = offsets(index)
                if k == 0 || alpha == 0 {
                    scaleC(m: m, n: n, beta: beta, c: c + cOffset, ldc: ldc)
                    continue
                }
                gemmBlock(
                    kernel: kernel, rows: 0..<m, columns: 0..<n, k: k, alpha: alpha,
                    a: Operand(base: a.base + aOffset, ld: a.ld, transposed: a.transposed),
                    b: Operand(base: b.base + bOffset, ld: b.ld, transposed: b.transposed),
                    beta: beta, c: c + cOffset, ldc: ldc,
                    packedA: scratch, packedB: scratch + mc * kc, prepackedB: nil, paddedN: paddedWidth(n, kernel.nr))
            }
        }
    }

    /// How many row and column blocks to cut C into: minimizes packing work (each column block re-packs
    /// its rows of A, each row block re-packs its columns of B) with at least one panel per block.
    static func threadGrid(m: Int, n: Int, k: Int, threads: Int, kernel: CPUGemmKernel) -> (rows: Int, columns: Int) {
        if threads <= 1 || m * n * k < parallelThreshold { return (1, 1) }
        let rowPanels = (m + kernel.mr - 1) / kernel.mr
        let columnPanels = (n + kernel.nr - 1) / kernel.nr
        var best = (rows: 1, columns: 1)
        var bestCost = Int.max
        for rows in 1...threads where threads % rows == 0 {
            let columns = threads / rows
            if rows > rowPanels || columns > columnPanels { continue }
            let cost = columns * m + rows * n
            if cost < bestCost { bestCost = cost; best = (rows, columns) }
        }
        return best
    }

    /// One thread's block of C, looped GotoBLAS-style: columns by NC, depth by KC, rows by MC.
    private static func gemmBlock(
        kernel: CPUGemmKernel, rows: Range<Int>, columns: Range<Int>, k: Int, alpha: Float,
        a: Operand, b: Operand, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int,
        packedA: UnsafeMutablePointer<Float>, packedB: UnsafeMutablePointer<Float>,
        prepackedB: UnsafePointer<Float>?, paddedN: Int
    ) {
        let (mr, nr) = (kernel.mr, kernel.nr)
        var j0 = columns.lowerBound
        while j0 < columns.upperBound {
            let nBlock = min(nc, columns.upperBound - j0)
            var p0 = 0
            while p0 < k {
                let kBlock = min(kc, k - p0)
                // The first depth block applies beta; later ones accumulate.
                let blockBeta: Float = p0 == 0 ? beta : 1
                // Panels start at multiples of nr columns, so a prepacked B is addressed directly.
                let blockB: UnsafePointer<Float>
                if let prepackedB {
                    blockB = prepackedB + p0 * paddedN + j0 * kBlock
                } else {
                    packB(b, depth: p0, count: kBlock, column: j0, width: nBlock, nr: nr, into: packedB)
                    blockB = UnsafePointer(packedB)
                }
                var i0 = rows.lowerBound
                while i0 < rows.upperBound {
                    let mBlock = min(mc, rows.upperBound - i0)
                    packA(a, row: i0, height: mBlock, depth: p0, count: kBlock, mr: mr, into: packedA)
                    var jr = 0
                    while jr < nBlock {
                        let panelB = blockB + jr * kBlock
                        var ir = 0
                        while ir < mBlock {
                            kernel.multiply(
                                kc: kBlock, a: packedA + ir * kBlock, b: panelB,
                                c: c + (i0 + ir) * ldc + j0 + jr, ldc: ldc,
                                rows: min(mr, mBlock - ir), columns: min(nr, nBlock - jr),
                                alpha: alpha, beta: blockBeta)
                            ir += mr
                        }
                        jr += nr
                    }
                    i0 += mBlock
                }
                p0 += kBlock
            }
            j0 += nBlock
        }
    }

    /// Packs op(B)[depth..<depth+count, column..<column+width] into nr-column panels `[count][nr]` (nr: 16 or 32).
    @inline(__always)
    private static func packB(
        _ b: Operand, depth: Int, count: Int, column: Int, width: Int, nr: Int, into packed: UnsafeMutablePointer<Float>
    ) {
        var panelStart = 0
        while panelStart < width {
            let panelWidth = min(nr, width - panelStart)
            let panel = packed + panelStart * count
            if !b.transposed {
                // op(B)(p, j) = b[p * ld + j]: copy row segments.
                let source = b.base + depth * b.ld + column + panelStart
                if panelWidth == nr {
                    for p in 0..<count {
                        let row = UnsafeRawPointer(source + p * b.ld)
                        let out = UnsafeMutableRawPointer(panel + p * nr)
                        for offset in stride(from: 0, to: nr * 4, by: 64) {
                            out.storeBytes(of: row.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self),
                                           toByteOffset: offset, as: SIMD16<Float>.self)
                        }
                    }
                } else {
                    for p in 0..<count {
                        let row = source + p * b.ld
                        let out = panel + p * nr
                        for j in 0..<panelWidth { out[j] = row[j] }
                        for j in panelWidth..<nr { out[j] = 0 }
                    }
                }
            } else {
                // op(B)(p, j) = b[j * ld + p]: read each source row along p, write a panel column.
                let source = b.base + (column + panelStart) * b.ld + depth
                if panelWidth == nr {
                    for j in stride(from: 0, to: nr, by: 8) {
                        transposeRows(source + j * b.ld, ld: b.ld, rows: 8, count: count, into: panel + j, stride: nr)
                    }
                    panelStart += nr
                    continue
                }
                for j in 0..<panelWidth {
                    let row = source + j * b.ld
                    var out = panel + j
                    for p in 0..<count {
                        out.pointee = row[p]
                        out += nr
                    }
                }
                if panelWidth < nr {
                    for p in 0..<count {
                        for j in panelWidth..<nr { panel[p * nr + j] = 0 }
                    }
                }
            }
            panelStart += nr
        }
    }

    /// Packs op(A)[row..<row+height, depth..<depth+count] into mr-row panels `[count][mr]` (mr: 6 or 8).
    @inline(__always)
    static func packA(
        _ a: Operand, row: Int, height: Int, depth: Int, count: Int, mr: Int, into packed: UnsafeMutablePointer<Float>
    ) {
        if a.transposed {
            packTransposedA(a, row: row, height: height, depth: depth, count: count, mr: mr, into: packed)
            return
        }
        // op(A)(i, p) = a[i * ld + p]: read each row along p, write a panel column.
        var panelStart = 0
        while panelStart < height {
            let panelHeight = min(mr, height - panelStart)
            let panel = packed + panelStart * count
            let source = a.base + (row + panelStart) * a.ld + depth
            if panelHeight == mr {
                transposeRows(source, ld: a.ld, rows: mr, count: count, into: panel, stride: mr)
            } else {
                for i in 0..<panelHeight {
                    let values = source + i * a.ld
                    var out = panel + i
                    for p in 0..<count {
                        out.pointee = values[p]
                        out += mr
                    }
                }
                for p in 0..<count {
                    for i in panelHeight..<mr { panel[p * mr + i] = 0 }
                }
            }
            panelStart += mr
        }
    }

    /// packA for a transposed operand, op(A)(i, p) = a[p * ld + i] (a weight gradient's dGᵀ): source row p holds
    /// column p of every panel. Each source row is walked once across the block's whole height, so A is read
    /// in sequence; walking panel by panel instead reads `count` lines ld apart per panel, which for
    /// ld = 2^k floats all land in the same cache sets and come from L3 every time (packing A was 12% of an
    /// LSTM training step's profile).
    @inline(__always)
    private static func packTransposedA(
        _ a: Operand, row: Int, height: Int, depth: Int, count: Int, mr: Int, into packed: UnsafeMutablePointer<Float>
    ) {
        let fullPanels = height / mr, tail = height - fullPanels * mr
        for p in 0..<count {
            let values = a.base + (depth + p) * a.ld + row
            var out = packed + p * mr
            for panel in 0..<fullPanels {
                let source = values + panel * mr
                if mr == 8 {
                    UnsafeMutableRawPointer(out).storeBytes(
                        of: UnsafeRawPointer(source).loadUnaligned(as: SIMD8<Float>.self), as: SIMD8<Float>.self)
                } else {
                    for i in 0..<mr { out[i] = source[i] }
                }
                out += mr * count
            }
            if tail > 0 {
                let source = values + fullPanels * mr
                for i in 0..<tail { out[i] = source[i] }
                for i in tail..<mr { out[i] = 0 }
            }
        }
    }

    /// Writes `rows` (6 or 8) source rows (`count` values each, row stride `ld`) as columns:
    /// `out[p * stride + r] = row_r[p]`. Packing a transposed operand is a transpose; 8 x 8 register
    /// transposes make it ~5x faster than scalar strided stores. With 6 rows the last row is loaded
    /// three times and only six lanes are stored.
    @inline(__always)
    private static func transposeRows(
        _ source: UnsafePointer<Float>, ld: Int, rows: Int, count: Int, into out: UnsafeMutablePointer<Float>, stride: Int
    ) {
        typealias V = SIMD8<Float>
        @inline(__always) func load(_ row: Int, _ p: Int) -> V {
            UnsafeRawPointer(source + min(row, rows - 1) * ld + p).loadUnaligned(as: V.self)
        }
        @inline(__always) func unzip(_ x: V, _ y: V) -> (V, V) {
            (V(lowHalf: x.evenHalf, highHalf: y.evenHalf), V(lowHalf: x.oddHalf, highHalf: y.oddHalf))
        }
        var p = 0
        while p + 8 <= count {
            // Three unzip rounds transpose an 8 x 8 block up to bit-reversed order on both axes, so rows are
            // loaded bit-reversed (0,4,2,6,1,5,3,7) and results stored bit-reversed.
            var v0 = load(0, p), v1 = load(4, p), v2 = load(2, p), v3 = load(6, p)
            var v4 = load(1, p), v5 = load(5, p), v6 = load(3, p), v7 = load(7, p)
            for _ in 0..<3 {
                let (w0, w1) = unzip(v0, v4)
                let (w2, w3) = unzip(v1, v5)
                let (w4, w5) = unzip(v2, v6)
                let (w6, w7) = unzip(v3, v7)
                (v0, v1, v2, v3, v4, v5, v6, v7) = (w0, w1, w2, w3, w4, w5, w6, w7)
            }
            @inline(__always) func store(_ v: V, _ column: Int) {
                let target = out + (p + column) * stride
                if rows == 8 {
                    UnsafeMutableRawPointer(target).storeBytes(of: v, as: V.self)
                } else {
                    UnsafeMutableRawPointer(target).storeBytes(of: v.lowHalf, as: SIMD4<Float>.self)
                    target[4] = v[4]
                    target[5] = v[5]
                }
            }
            store(v0, 0); store(v1, 4); store(v2, 2); store(v3, 6)
            store(v4, 1); store(v5, 5); store(v6, 3); store(v7, 7)
            p += 8
        }
        while p < count {
            for r in 0..<rows { out[p * stride + r] = source[r * ld + p] }
            p += 1
        }
    }

    /// C = beta * C (the k == 0 or alpha == 0 case); beta == 0 writes zeros without reading C.
    private static func scaleC(m: Int, n: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        for i in 0..<m {
            let row = c + i * ldc
            if beta == 0 {
                row.update(repeating: 0, count: n)
            } else if beta != 1 {
                for j in 0..<n { row[j] *= beta }
            }
        }
    }
}
