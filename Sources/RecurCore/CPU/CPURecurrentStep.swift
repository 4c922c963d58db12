import Synchronization

/// One forward step of a recurrence with its product fused into the cell (`FusedRecurrentSteps`, which
/// `Backend.lstmStep` and its twins use).
///
/// The unfused step is two parallel ops: the GEMM `gates += h·W_hhᵀ`, split by columns, then the cell,
/// split by rows, so every step waits for the threads twice and the gates pass through L2 in between.
/// Fused, each thread takes a share of the hidden units and, for each block of them (one panel wide), runs
/// the micro-kernel on the gate columns of those units (i, f, g and o of units u..<u+16 are four panels of
/// the prepared W_hh, addressed where they are, without re-packing), then the cell on the block while its
/// gates are still in L1. One hand-over per step; a thread done with its share takes the blocks left in the
/// others' (`BlockClaims`). W_hh prepared in int8 works the same way with `CPUInt8Gemm`'s panels.
extension CPUBackend: FusedRecurrentSteps {
    public func fusedLSTMStep(
        gates: Tensor, hPrev: Tensor, recurrentWeight: PreparedGEMMOperand, activeRows: Int,
        cPrev: Tensor, cNext: Tensor, hNext: Tensor, output: Tensor, lengths: Tensor?, t: Int
    ) throws -> Bool {
        let cell = try lstmCell(gates: gates, cPrev: cPrev, hPrev: hPrev, cNext: cNext, hNext: hNext,
                                output: output, lengths: lengths, t: t)
        return try fusedStep(cell, gateCount: 4, product: gates, weight: recurrentWeight, activeRows: activeRows)
    }

    public func fusedGRUStep(
        inputGates: Tensor, hiddenGates: Tensor, hPrev: Tensor, recurrentWeight: PreparedGEMMOperand, activeRows: Int,
        hNext: Tensor, output: Tensor, lengths: Tensor?, t: Int
    ) throws -> Bool {
        let cell = try gruCell(inputGates: inputGates, hiddenGates: hiddenGates, hPrev: hPrev, hNext: hNext,
                               output: output, lengths: lengths, t: t)
        return try fusedStep(cell, gateCount: 3, product: hiddenGates, weight: recurrentWeight, activeRows: activeRows)
    }

    public func fusedRNNStep(
        preactivation: Tensor, hPrev: Tensor, recurrentWeight: PreparedGEMMOperand, activeRows: Int,
        hNext: Tensor, output: Tensor, lengths: Tensor?, t: Int
    ) throws -> Bool {
        let cell = try rnnCell(preactivation: preactivation, hPrev: hPrev, hNext: hNext, output: output, lengths: lengths, t: t)
        return try fusedStep(cell, gateCount: 1, product: preactivation, weight: recurrentWeight, activeRows: activeRows)
    }

    /// Runs the fused step and returns true, or returns false when `weight` is not a CPU-prepared W_hh whose
    /// panels tile each gate's columns exactly (the hidden size a multiple of the panel width).
    private func fusedStep(_ cell: some CPUCellStep, gateCount: Int, product: Tensor, weight: PreparedGEMMOperand,
                           activeRows: Int) throws -> Bool {
        let hidden = cell.hidden, batch = cell.batch
        let packed = weight as? CPUPackedOperand, quantized = weight as? CPUInt8Operand
        guard let width = packed?.kernel.nr ?? quantized.map({ _ in CPUInt8Operand.panelWidth }),
              hidden % width == 0, weight.k == hidden, weight.n == gateCount * hidden else { return false }
        let rows = max(0, min(activeRows, batch))
        let hPrev = UnsafePointer(cell.hPrev)
        let c = try floats(product, "recurrent step product")
        let blocks = hidden / width
        // The product's multiply-adds plus the cell's work (~16 per gate element) decide whether to wake threads.
        let work = gateCount * hidden * (rows * weight.k + 16 * batch)
        let tasks = work >= CPUGemm.parallelThreshold ? min(pool.threadCount, blocks) : 1
        let ldc = gateCount * hidden
        let claims = BlockClaims(blocks: blocks, parts: tasks)
        pool.run(tasks: tasks) { task, worker in
            // This thread's `c[0..<rows, gate columns of a block] += h · W_hhᵀ`, with h prepared once per step.
            let multiplyBlock: (Int) -> Void
            if let packed, rows > 0 {
                let packedA = packRecurrentInput(hPrev, rows: rows, k: hidden, kernel: packed.kernel, worker: worker)
                multiplyBlock = { block in
                    for gate in 0..<gateCount {
                        self.multiplyPanel(packedA: packedA, rows: rows, weight: packed,
                                           column: gate * hidden + block * width, c: c, ldc: ldc)
                    }
                }
            } else if let quantized, rows > 0 {
                let a = CPUInt8Gemm.quantizeIntoScratch(hPrev, lda: hidden, m: rows, b: quantized, pool: pool, worker: worker)
                multiplyBlock = { block in
                    for gate in 0..<gateCount {
                        let panel = gate * blocks + block
                        CPUInt8Gemm.multiplyPanels(panel..<(panel + 1), m: rows, alpha: 1, a: a, b: quantized,
                                                   beta: 1, c: c, ldc: ldc)
                    }
                }
            } else {
                multiplyBlock = { _ in }  // every row has ended: the cells only carry the state
            }
            while let block = claims.next(for: task) {
                multiplyBlock(block)
                cell.run(rows: 0..<batch, units: block * width..<(block + 1) * width)
            }
        }
        return true
    }

    /// h `[rows, k]` packed into the micro-kernel's row panels, every depth block of `CPUGemm.kc` one after the
    /// other (block p0 at `p0 · paddedRows`), in the worker's scratch.
    private func packRecurrentInput(_ h: UnsafePointer<Float>, rows: Int, k: Int, kernel: CPUGemmKernel,
                                    worker: Int) -> UnsafeMutablePointer<Float> {
        let paddedRows = CPUGemm.paddedWidth(rows, kernel.mr)
        let packed = pool.scratch(worker: worker, count: max(1, paddedRows * k))
        var p0 = 0
        while rows > 0 && p0 < k {
            let depth = min(CPUGemm.kc, k - p0)
            CPUGemm.packA(.init(base: h, ld: k, transposed: false), row: 0, height: rows, depth: p0, count: depth,
                          mr: kernel.mr, into: packed + p0 * paddedRows)
            p0 += depth
        }
        return packed
    }

    /// `c[0..<rows, column..<column + nr] += A · W_hhᵀ[:, column..<column + nr]`: one panel of the prepared W_hh
    /// against every row panel of the packed input, depth block by depth block.
    private func multiplyPanel(packedA: UnsafeMutablePointer<Float>, rows: Int, weight: CPUPackedOperand, column: Int,
                               c: UnsafeMutablePointer<Float>, ldc: Int) {
        let kernel = weight.kernel, k = weight.k
        let paddedRows = CPUGemm.paddedWidth(rows, kernel.mr), paddedN = CPUGemm.paddedWidth(weight.n, kernel.nr)
        var p0 = 0
        while p0 < k {
            let depth = min(CPUGemm.kc, k - p0)
            let panel = UnsafePointer(weight.packed) + p0 * paddedN + column * depth
            var i = 0
            while i < rows {
                kernel.multiply(kc: depth, a: packedA + p0 * paddedRows + i * depth, b: panel, c: c + i * ldc + column,
                                ldc: ldc, rows: min(kernel.mr, rows - i), columns: kernel.nr, alpha: 1, beta: 1)
                i += kernel.mr
            }
            p0 += depth
        }
    }
}

/// The unit blocks of one fused step, shared out among its threads: each thread claims the blocks of its own
/// share first, in order (so from step to step it multiplies the same panels of W_hh, which stay in its
/// cache), then whatever is left of the others' shares. The worker threads start a little after the caller
/// and a core of a shared machine can be slow for a while; without taking over blocks the others wait.
final class BlockClaims: @unchecked Sendable {
    /// Per share: the next unclaimed block (past the share's end once it is used up).
    private let next: UnsafeMutablePointer<Atomic<Int>>
    private let ends: [Int]

    init(blocks: Int, parts: Int) {
        next = .allocate(capacity: parts)
        for part in 0..<parts { (next + part).initialize(to: Atomic(blocks * part / parts)) }
        ends = (0..<parts).map { blocks * ($0 + 1) / parts }
    }

    deinit {
        next.deinitialize(count: ends.count)
        next.deallocate()
    }

    /// A block for thread `part`, or nil when every block is claimed.
    func next(for part: Int) -> Int? {
        for offset in 0..<ends.count {
            let share = (part + offset) % ends.count
            let block = next[share].wrappingAdd(1, ordering: .relaxed).oldValue
            if block < ends[share] { return block }
        }
        return nil
    }
}
