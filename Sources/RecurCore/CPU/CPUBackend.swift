import Foundation

/// The pure-Swift backend: host memory, SIMD kernels and a persistent pool of worker threads.
///
/// Used where no OpenCL device is present and as the reference the OpenCL backend is checked against.
/// The kernels need a raised target CPU (`-target-cpu native`, see Package.swift) to be vectorized.
/// Op families live in the other files of this folder as extensions.
public final class CPUBackend: Backend {
    public let name: String
    public let transfers = TransferCounter()
    let pool: CPUWorkerPool
    /// The GEMM micro-kernel shape; every choice gives the same bits (tests run both).
    public let gemmKernel: CPUGemmKernel

    /// Elements below which an elementwise op stays on the calling thread (waking a worker costs ~1 us).
    static let parallelGrain = 1 << 15

    public convenience init(gemmKernel: CPUGemmKernel = .preferred) {
        self.init(pool: .shared, gemmKernel: gemmKernel)
    }

    /// A backend with `threads` worker threads of its own, for callers that run several backends side by side
    /// (`recur serve`'s model replicas: two one-thread workers beat one two-thread worker on small batches,
    /// which spend much of their time handing work between threads).
    public convenience init(threads: Int, gemmKernel: CPUGemmKernel = .preferred) {
        self.init(pool: CPUWorkerPool(threadCount: threads), gemmKernel: gemmKernel)
    }

    init(pool: CPUWorkerPool, gemmKernel: CPUGemmKernel) {
        self.pool = pool
        self.gemmKernel = gemmKernel
        name = "cpu (\(pool.threadCount) thread\(pool.threadCount == 1 ? "" : "s"), \(gemmKernel.rawValue) GEMM kernel)"
    }

    /// Worker threads in use (`RECUR_CPU_THREADS` or the active processor count).
    public var threadCount: Int { pool.threadCount }

    // MARK: Memory

    public func zeros(_ shape: [Int], dtype: DType) throws -> Tensor {
        try require(shape.allSatisfy { $0 >= 0 }, "zeros: negative dimension in shape \(shape)")
        return Tensor(storage: CPUStorage(count: shape.reduce(1, *), dtype: dtype, owner: self, zeroed: true), shape: shape)
    }

    public func uninitialized(_ shape: [Int], dtype: DType) throws -> Tensor {
        try require(shape.allSatisfy { $0 >= 0 }, "uninitialized: negative dimension in shape \(shape)")
        return Tensor(storage: CPUStorage(count: shape.reduce(1, *), dtype: dtype, owner: self, zeroed: false), shape: shape)
    }

    public func upload(_ values: [Float], shape: [Int]) throws -> Tensor {
        let tensor = try uninitialized(shape, dtype: .float32)
        try write(values, to: tensor)
        return tensor
    }

    public func upload(_ values: [Int32], shape: [Int]) throws -> Tensor {
        let tensor = try uninitialized(shape, dtype: .int32)
        try write(values, to: tensor)
        return tensor
    }

    public func write(_ values: [Float], to tensor: Tensor) throws {
        let destination = try floats(tensor, "write")
        try require(values.count == tensor.count, "write: \(values.count) values for a tensor of shape \(tensor.shape)")
        values.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { destination.update(from: base, count: values.count) }
        }
        transfers.recordUpload(bytes: values.count * 4)
    }

    public func write(_ values: [Int32], to tensor: Tensor) throws {
        let destination = try ints(tensor, "write")
        try require(values.count == tensor.count, "write: \(values.count) values for a tensor of shape \(tensor.shape)")
        values.withUnsafeBytes { source in
            if let base = source.baseAddress { destination.base.copyMemory(from: base, byteCount: source.count) }
        }
        transfers.recordUpload(bytes: values.count * 4)
    }

    public func download(_ tensor: Tensor) throws -> [Float] {
        let source = try floats(tensor, "download")
        transfers.recordDownload(bytes: tensor.count * 4)
        return Array(UnsafeBufferPointer(start: source, count: tensor.count))
    }

    public func downloadInts(_ tensor: Tensor) throws -> [Int32] {
        let source = try ints(tensor, "downloadInts")
        transfers.recordDownload(bytes: tensor.count * 4)
        return [Int32](unsafeUninitializedCapacity: tensor.count) { buffer, initialized in
            if let base = buffer.baseAddress {
                UnsafeMutableRawPointer(base).copyMemory(from: source.base, byteCount: tensor.count * 4)
            }
            initialized = tensor.count
        }
    }

    /// Every op has finished when it returns.
    public func synchronize() throws {}

    // MARK: GEMM

    public func gemm(
        _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
        alpha: Float, a: MatrixView, b: MatrixView, beta: Float, c: MatrixView
    ) throws {
        try require(m >= 0 && n >= 0 && k >= 0, "gemm: negative size m=\(m) n=\(n) k=\(k)")
        let transposedA = transA == .transposed
        let transposedB = transB == .transposed
        // Stored shapes: A is m x k (k x m when transposed), B is k x n (n x k), C is m x n.
        try checkMatrix(a, rows: transposedA ? k : m, columns: transposedA ? m : k, "gemm A")
        try checkMatrix(b, rows: transposedB ? n : k, columns: transposedB ? k : n, "gemm B")
        try checkMatrix(c, rows: m, columns: n, "gemm C")
        let aBase = try floats(a.tensor, "gemm A") - a.tensor.offset + a.offset
        let bBase = try floats(b.tensor, "gemm B") - b.tensor.offset + b.offset
        let cBase = try floats(c.tensor, "gemm C") - c.tensor.offset + c.offset
        CPUGemm.gemm(
            pool: pool, kernel: gemmKernel, m: m, n: n, k: k, alpha: alpha,
            a: .init(base: aBase, ld: a.ld, transposed: transposedA),
            b: .init(base: bBase, ld: b.ld, transposed: transposedB),
            beta: beta, c: cBase, ldc: c.ld)
    }

    public func prepareGEMMOperand(_ b: MatrixView, _ transB: Transpose, k: Int, n: Int) throws -> PreparedGEMMOperand {
        let transposed = transB == .transposed
        try require(k >= 0 && n >= 0, "prepareGEMMOperand: negative size k=\(k) n=\(n)")
        try checkMatrix(b, rows: transposed ? n : k, columns: transposed ? k : n, "prepareGEMMOperand B")
        let base = try floats(b.tensor, "prepareGEMMOperand B") - b.tensor.offset + b.offset
        let prepared = CPUPackedOperand(view: b, transposed: transB, k: k, n: n, kernel: gemmKernel)
        CPUGemm.packWholeB(.init(base: base, ld: b.ld, transposed: transposed), k: k, n: n, kernel: gemmKernel,
                           into: prepared.packed)
        return prepared
    }

    public func prepareInt8GEMMOperand(_ b: MatrixView, _ transB: Transpose, k: Int, n: Int) throws -> PreparedGEMMOperand {
        let transposed = transB == .transposed
        try require(k >= 0 && n >= 0, "prepareInt8GEMMOperand: negative size k=\(k) n=\(n)")
        try checkMatrix(b, rows: transposed ? n : k, columns: transposed ? k : n, "prepareInt8GEMMOperand B")
        let base = try floats(b.tensor, "prepareInt8GEMMOperand B") - b.tensor.offset + b.offset
        let ld = b.ld
        return CPUInt8Operand(view: b, transposed: transB, k: k, n: n) { p, j in
            transposed ? base[j * ld + p] : base[p * ld + j]
        }
    }

    public func gemm(_ transA: Transpose, m: Int, alpha: Float, a: MatrixView, b: PreparedGEMMOperand, beta: Float, c: MatrixView) throws {
        if let quantized = b as? CPUInt8Operand {
            try require(transA == .none, "int8 gemm: A must not be transposed")
            try require(m >= 0, "gemm: negative size m=\(m)")
            try checkMatrix(a, rows: m, columns: quantized.k, "gemm A")
            try checkMatrix(c, rows: m, columns: quantized.n, "gemm C")
            let aBase = try floats(a.tensor, "gemm A") - a.tensor.offset + a.offset
            let cBase = try floats(c.tensor, "gemm C") - c.tensor.offset + c.offset
            CPUInt8Gemm.gemm(pool: pool, m: m, alpha: alpha, a: aBase, lda: a.ld, b: quantized, beta: beta, c: cBase, ldc: c.ld)
            return
        }
        guard let packed = b as? CPUPackedOperand else {
            return try gemm(transA, b.transposed, m: m, n: b.n, k: b.k, alpha: alpha, a: a, b: b.view, beta: beta, c: c)
        }
        let (n, k) = (b.n, b.k)
        try require(m >= 0, "gemm: negative size m=\(m)")
        let transposedA = transA == .transposed
        try checkMatrix(a, rows: transposedA ? k : m, columns: transposedA ? m : k, "gemm A")
        try checkMatrix(c, rows: m, columns: n, "gemm C")
        let aBase = try floats(a.tensor, "gemm A") - a.tensor.offset + a.offset
        let cBase = try floats(c.tensor, "gemm C") - c.tensor.offset + c.offset
        let bBase = try floats(b.view.tensor, "gemm B") - b.view.tensor.offset + b.view.offset
        // The panels' width is the kernel that packed them.
        CPUGemm.gemm(
            pool: pool, kernel: packed.kernel, m: m, n: n, k: k, alpha: alpha,
            a: .init(base: aBase, ld: a.ld, transposed: transposedA),
            b: .init(base: bBase, ld: b.view.ld, transposed: b.transposed == .transposed),
            beta: beta, c: cBase, ldc: c.ld, prepackedB: UnsafePointer(packed.packed))
    }

    /// A `rows x columns` matrix view must fit its storage with `ld >= columns`.
    private func checkMatrix(_ view: MatrixView, rows: Int, columns: Int, _ role: String) throws {
        if rows == 0 || columns == 0 { return }
        try require(view.ld >= columns, "\(role): leading dimension \(view.ld) < \(columns) columns")
        try require(view.columnOffset >= 0, "\(role): negative column offset")
        let end = view.offset + (rows - 1) * view.ld + columns
        try require(end <= view.storage.count,
                    "\(role): a \(rows) x \(columns) matrix with ld \(view.ld) at offset \(view.offset) overruns storage of \(view.storage.count) elements")
    }

    // MARK: Argument access

    func require(_ condition: Bool, _ message: @autoclosure () -> String) throws {
        if !condition { throw BackendError.invalidArgument(message()) }
    }

    private func storage(_ tensor: Tensor, _ role: String) throws -> CPUStorage {
        try require(tensor.storage.owner === self, "\(role): tensor belongs to another backend")
        return unsafeDowncast(tensor.storage, to: CPUStorage.self)
    }

    /// The first float of a float32 tensor owned by this backend.
    func floats(_ tensor: Tensor, _ role: String) throws -> UnsafeMutablePointer<Float> {
        let storage = try storage(tensor, role)
        try require(storage.dtype == .float32, "\(role): expected a float32 tensor, got \(storage.dtype)")
        return storage.floats + tensor.offset
    }

    /// The elements of an int32 tensor owned by this backend.
    func ints(_ tensor: Tensor, _ role: String) throws -> Int32Elements {
        let storage = try storage(tensor, role)
        try require(storage.dtype == .int32, "\(role): expected an int32 tensor, got \(storage.dtype)")
        return Int32Elements(storage.floats + tensor.offset)
    }

    /// `tensor` must hold `rows x columns` elements with `columns` as its last dimension.
    func requireMatrix(_ tensor: Tensor, rows: Int, columns: Int, _ role: String) throws {
        try require(tensor.count == rows * columns && (tensor.columns == columns || tensor.count == 0),
                    "\(role): expected [\(rows), \(columns)], got \(tensor.shape)")
    }

    func requireSameCount(_ a: Tensor, _ b: Tensor, _ role: String) throws {
        try require(a.count == b.count, "\(role): element counts differ, \(a.shape) vs \(b.shape)")
    }

    /// The int32 `[batch]` lengths, or nil when every step is valid.
    func lengthElements(_ lengths: Tensor?, batch: Int, _ role: String) throws -> Int32Elements? {
        guard let lengths else { return nil }
        try require(lengths.count == batch, "\(role): lengths has shape \(lengths.shape), expected [\(batch)]")
        return try ints(lengths, "\(role) lengths")
    }

    /// Runs `body(i, width)` over `0..<count` in 16-element steps (`width` < 16 only for the tail), split
    /// across the worker threads when the range is large.
    @inline(__always)
    func vectorLoop(count: Int, _ body: (_ index: Int, _ width: Int) -> Void) {
        pool.parallelFor(count: count, grain: Self.parallelGrain) { range in
            var i = range.lowerBound
            while i < range.upperBound {
                body(i, min(16, range.upperBound - i))
                i += 16
            }
        }
    }

    /// Runs `body(rows)` over `0..<rows` split across threads when `rows * workPerRow` is large.
    @inline(__always)
    func rowLoop(rows: Int, workPerRow: Int, _ body: (Range<Int>) -> Void) {
        let parts = min(pool.threadCount, rows, rows * max(workPerRow, 1) / Self.parallelGrain)
        if parts <= 1 {
            if rows > 0 { body(0..<rows) }
            return
        }
        pool.run(tasks: parts) { task, _ in
            let range = (rows * task / parts)..<(rows * (task + 1) / parts)
            if !range.isEmpty { body(range) }
        }
    }
}
