import RecurCore

/// Tile sizes, passed to the kernels as build options.
struct GEMMTiling: Equatable {
    /// Rows x columns of C per work-item in the CPU block kernel, each row one or two float16 registers:
    /// 8 x 32 fills AVX-512's 32 registers; on AVX2's 16 it would spill, so there it is 6 x 16 (12 accumulators).
    var blockRows: Int
    var blockColumns: Int

    static let wide = GEMMTiling(blockRows: 8, blockColumns: 32)
    static let narrow = GEMMTiling(blockRows: 6, blockColumns: 16)

    /// By the device's preferred float vector width (registers of 16 floats or fewer).
    static func forDevice(_ device: OpenCLDeviceInfo) -> GEMMTiling {
        device.preferredFloatVectorWidth >= 16 ? .wide : .narrow
    }

    /// Rows x columns of C per work-item in the CPU dot-product kernel (A times B^T).
    static let dotRows = 4
    static let dotColumns = 4
    /// Work-group edge of the GPU kernel.
    static let tile = 16
    /// Depth of one pass of the CPU block kernel over a long k (its B panel, 256 x 32 floats, stays in cache).
    static let depthBlock = 256
}

extension GEMMTiling {
    /// "8x32" or "6x16"; nil for anything else.
    init?(named name: String?) {
        switch name {
        case "8x32": self = .wide
        case "6x16": self = .narrow
        default: return nil
        }
    }
}

extension OpenCLBackend {
    public func gemm(
        _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
        alpha: Float, a: MatrixView, b: MatrixView, beta: Float, c: MatrixView
    ) throws {
        guard m >= 0, n >= 0, k >= 0 else { throw BackendError.invalidArgument("gemm with m \(m), n \(n), k \(k)") }
        if m == 0 || n == 0 { return }
        // Element strides of op(A) (m x k) and op(B) (k x n) inside their storage.
        let (aRowStride, aColumnStride) = transA == .none ? (a.ld, 1) : (1, a.ld)
        let (bRowStride, bColumnStride) = transB == .none ? (b.ld, 1) : (1, b.ld)
        try checkExtent("A", a, rows: m, columns: k, rowStride: aRowStride, columnStride: aColumnStride)
        try checkExtent("B", b, rows: k, columns: n, rowStride: bRowStride, columnStride: bColumnStride)
        try checkExtent("C", c, rows: m, columns: n, rowStride: c.ld, columnStride: 1)

        if style == .gpu {
            let tile = GEMMTiling.tile
            try launch("gemm_tiled", in: "gemm", global: [n, m], local: [tile, tile], [
                .int(m), .int(n), .int(k), .float(alpha),
                .matrix(a), .int(aRowStride), .int(aColumnStride),
                .matrix(b), .int(bRowStride), .int(bColumnStride),
                .float(beta), .matrix(c), .int(c.ld),
            ])
            return
        }

        let rowsPerItem = tiling.blockRows, columnsPerItem = tiling.blockColumns
        if transB == .none, n >= columnsPerItem, k > 2 * GEMMTiling.depthBlock {
            // Each block work-item streams its whole panel of B (and, for a weight gradient dGᵀ·X,
            // its block's rows of A at a stride of lda); cut a long k into depth blocks that stay in cache,
            // accumulating into C. Measured on PoCL: TN 1024x256x4096 from 25 to 45-60 GFLOP/s.
            var p0 = 0
            while p0 < k {
                let depth = min(GEMMTiling.depthBlock, k - p0)
                let aBlock = transA == .none ? a.columnBlock(startingAt: p0)
                    : MatrixView(a.tensor, columnOffset: a.columnOffset + p0 * a.ld, ld: a.ld)
                let bBlock = MatrixView(b.tensor, columnOffset: b.columnOffset + p0 * b.ld, ld: b.ld)
                try gemm(transA, .none, m: m, n: n, k: depth, alpha: alpha, a: aBlock, b: bBlock,
                         beta: p0 == 0 ? beta : 1, c: c)
                p0 += depth
            }
            return
        }
        let rowBlocks = ceilDiv(m, rowsPerItem)
        if transB == .none, n >= columnsPerItem, m >= 64, rowBlocks <= Self.localGEMMGroupRows {
            // A batch of rows (a recurrent step's 64) against a row-major B: one work-group per column panel
            // copies the panel into local memory once and runs every row block from there
            // (`gemm_block_local`), instead of a gemm_pack_panels launch before gemm_block (measured on PoCL,
            // NN 64x1024x384: ~125 -> ~135 GFLOP/s). More rows than one group holds would copy each panel once
            // per group: packing once is cheaper there (NN 4096x1024x128 lost ~10% that way).
            let grid = [ceilDiv(n, columnsPerItem), rowBlocks]
            try launch("gemm_block_local", in: "gemm", global: grid, local: [1, rowBlocks], [
                .int(m), .int(n), .int(k), .float(alpha),
                .matrix(a), .int(aRowStride), .int(aColumnStride),
                .matrix(b), .int(b.ld),
                .float(beta), .matrix(c), .int(c.ld),
            ])
            return
        }
        if n % columnsPerItem == 0, transB == .transposed ? m >= 256 : m >= 64 {
            // Many rows of A (an input projection X·Wᵀ over all steps, a weight gradient): B repacked into
            // contiguous panels costs one pass over B and lets every block work-item stream its panel.
            // A row-major B is read a panel row per step at a stride of ldb, which for widths of 2^k floats
            // maps every step to the same cache sets: packed, NN 512x512x512 on PoCL went from 83 to ~120 GFLOP/s.
            let panels = try prepareGEMMOperand(b, transB, k: k, n: n)
            try gemm(transA, m: m, alpha: alpha, a: a, b: panels, beta: beta, c: c)
            return
        }
        if transA == .none, transB == .transposed, n >= columnsPerItem, m >= 256 {
            // The same for a width that is not a multiple of 32: the block kernel on B laid out k x n.
            let rowMajorB = try transposedCopy(b, rows: n, columns: k)
            try gemm(.none, .none, m: m, n: n, k: k, alpha: alpha, a: a, b: rowMajorB.matrix, beta: beta, c: c)
            return
        }
        switch (transA, transB) {
        case (_, .none) where n >= columnsPerItem:
            // op(A) is read one scalar per row and step, whatever its layout; B rows are contiguous.
            let grid = [ceilDiv(n, columnsPerItem), ceilDiv(m, rowsPerItem)]
            try launch("gemm_block", in: "gemm", global: grid, local: cpuWorkGroup(grid), [
                .int(m), .int(n), .int(k), .float(alpha),
                .matrix(a), .int(aRowStride), .int(aColumnStride),
                .matrix(b), .int(b.ld), .int(columnsPerItem),
                .float(beta), .matrix(c), .int(c.ld), .int(1),
            ])
        case (.none, .transposed):
            // Both operands run contiguously along k: dot products.
            let grid = [ceilDiv(n, GEMMTiling.dotColumns), ceilDiv(m, GEMMTiling.dotRows)]
            try launch("gemm_dot", in: "gemm", global: grid, local: cpuWorkGroup(grid), [
                .int(m), .int(n), .int(k), .float(alpha),
                .matrix(a), .int(a.ld), .matrix(b), .int(b.ld),
                .float(beta), .matrix(c), .int(c.ld),
            ])
        case (.transposed, .transposed) where m >= columnsPerItem:
            // C^T = B A: B (n x k, rows contiguous along k) is the scalar side, A (k x m) the contiguous side,
            // and the block is stored transposed.
            let grid = [ceilDiv(m, columnsPerItem), ceilDiv(n, rowsPerItem)]
            try launch("gemm_block", in: "gemm", global: grid, local: cpuWorkGroup(grid), [
                .int(n), .int(m), .int(k), .float(alpha),
                .matrix(b), .int(b.ld), .int(1),
                .matrix(a), .int(a.ld), .int(columnsPerItem),
                .float(beta), .matrix(c), .int(1), .int(c.ld),
            ])
        default:
            try launch("gemm_simple", in: "gemm", global: [n, m], local: [8, 8], [
                .int(m), .int(n), .int(k), .float(alpha),
                .matrix(a), .int(aRowStride), .int(aColumnStride),
                .matrix(b), .int(bRowStride), .int(bColumnStride),
                .float(beta), .matrix(c), .int(c.ld),
            ])
        }
    }

    /// `view` (`rows` x `columns`) transposed into a new row-major `columns` x `rows` tensor.
    func transposedCopy(_ view: MatrixView, rows: Int, columns: Int) throws -> Tensor {
        let result = try uninitialized([columns, rows], dtype: .float32)
        let grid = [ceilDiv(columns, 16), ceilDiv(rows, 16)]
        try launch("gemm_transpose", in: "gemm", global: grid, local: cpuWorkGroup(grid), [
            .int(columns), .int(rows), .matrix(view), .int(view.ld), .tensor(result), .int(rows),
        ])
        return result
    }

    /// A recurrent weight used as op(B) by every step of a batch (Wᵀ forward, W backward): the CPU-style
    /// kernels read it repacked once into contiguous panels as wide as a block (`gemm_pack_panels`), so that each
    /// step's block work-items stream their panel instead of one 128-byte piece per row of B.
    /// Measured on PoCL, 64x1024x256: 126 GFLOP/s on a row-major copy of Wᵀ, 170-200 on panels.
    public func prepareGEMMOperand(_ b: MatrixView, _ transB: Transpose, k: Int, n: Int) throws -> PreparedGEMMOperand {
        guard style == .cpu, n % tiling.blockColumns == 0, k > 0 else {
            return PreparedGEMMOperand(view: b, transposed: transB, k: k, n: n)
        }
        let (rowStride, columnStride) = transB == .none ? (b.ld, 1) : (1, b.ld)
        try checkExtent("B", b, rows: k, columns: n, rowStride: rowStride, columnStride: columnStride)
        let panels = try uninitialized([k * n], dtype: .float32)
        try launch("gemm_pack_panels", in: "gemm", global: [n / tiling.blockColumns, k], local: [1, 16], [
            .int(k), .int(n), .matrix(b), .int(rowStride), .int(columnStride), .tensor(panels),
        ])
        return OpenCLPanelOperand(view: b, transposed: transB, k: k, n: n, panels: panels)
    }

    public func gemm(_ transA: Transpose, m: Int, alpha: Float, a: MatrixView, b: PreparedGEMMOperand, beta: Float, c: MatrixView) throws {
        guard let packed = b as? OpenCLPanelOperand else {
            return try gemm(transA, b.transposed, m: m, n: b.n, k: b.k, alpha: alpha, a: a, b: b.view, beta: beta, c: c)
        }
        if m == 0 { return }
        let (aRowStride, aColumnStride) = transA == .none ? (a.ld, 1) : (1, a.ld)
        try checkExtent("A", a, rows: m, columns: b.k, rowStride: aRowStride, columnStride: aColumnStride)
        try checkExtent("C", c, rows: m, columns: b.n, rowStride: c.ld, columnStride: 1)
        let grid = [b.n / tiling.blockColumns, ceilDiv(m, tiling.blockRows)]
        try launch("gemm_block", in: "gemm", global: grid, local: cpuWorkGroup(grid), [
            .int(m), .int(b.n), .int(b.k), .float(alpha), .matrix(a), .int(aRowStride), .int(aColumnStride),
            .tensor(packed.panels), .int(tiling.blockColumns), .int(b.k * tiling.blockColumns),
            .float(beta), .matrix(c), .int(c.ld), .int(1),
        ])
    }

    /// The most row blocks `gemm_block_local` runs (all in one work-group, so that each panel is copied once).
    static let localGEMMGroupRows = 16

    /// Work-groups of up to 8 row blocks sharing one column panel (it stays in cache while they run),
    /// but never so large that fewer than 4 groups per compute unit remain: a CPU runtime spreads whole
    /// groups over its threads, and left to itself may put a small grid into a single group.
    func cpuWorkGroup(_ grid: [Int]) -> [Int] {
        let items = grid[0] * grid[1], minimumGroups = 4 * max(device.computeUnits, 1)
        var rows = 1
        while rows < 8, grid[1] % (rows * 2) == 0, items / (rows * 2) >= minimumGroups { rows *= 2 }
        return [1, rows]
    }

    /// Refuses a view whose farthest element lies outside its storage: the device would read or write
    /// out of bounds instead of trapping.
    private func checkExtent(_ label: String, _ view: MatrixView, rows: Int, columns: Int, rowStride: Int, columnStride: Int) throws {
        guard rows > 0, columns > 0 else { return }
        let last = view.offset + (rows - 1) * rowStride + (columns - 1) * columnStride
        guard view.offset >= 0, last < view.storage.count else {
            throw BackendError.invalidArgument(
                "gemm: \(label) as \(rows) x \(columns) with ld \(view.ld) at offset \(view.offset) exceeds its storage of \(view.storage.count)")
        }
    }
}

@inline(__always)
func ceilDiv(_ a: Int, _ b: Int) -> Int { (a + b - 1) / b }

/// op(B) of a GEMM repacked into 32-column panels on the device (see `prepareGEMMOperand`).
final class OpenCLPanelOperand: PreparedGEMMOperand {
    let panels: Tensor

    init(view: MatrixView, transposed: Transpose, k: Int, n: Int, panels: Tensor) {
        self.panels = panels
        super.init(view: view, transposed: transposed, k: k, n: n)
    }
}
