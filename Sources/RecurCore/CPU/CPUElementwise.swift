// Elementwise ops: fill, copy, axpy, scale, multiply, bias add.

extension CPUBackend {
    public func fill(_ tensor: Tensor, with value: Float) throws {
        let x = try floats(tensor, "fill")
        pool.parallelFor(count: tensor.count, grain: Self.parallelGrain * 4) { range in
            (x + range.lowerBound).update(repeating: value, count: range.count)
        }
    }

    /// A raw copy of 4-byte elements; either dtype (both tensors' bits are copied as they are).
    public func copy(_ source: Tensor, to destination: Tensor) throws {
        try requireSameCount(source, destination, "copy")
        let from = try rawElements(source, "copy source")
        let to = try rawElements(destination, "copy destination")
        pool.parallelFor(count: source.count, grain: Self.parallelGrain * 4) { range in
            (to + range.lowerBound * 4).copyMemory(from: from + range.lowerBound * 4, byteCount: range.count * 4)
        }
    }

    public func axpy(alpha: Float, x: Tensor, y: Tensor) throws {
        try requireSameCount(x, y, "axpy")
        let xs = try floats(x, "axpy x")
        let ys = try floats(y, "axpy y")
        let a = FloatVector(repeating: alpha)
        vectorLoop(count: x.count) { i, width in
            let updated = VectorMath.load(ys + i, count: width).addingProduct(a, VectorMath.load(xs + i, count: width))
            VectorMath.store(updated, ys + i, count: width)
        }
    }

    public func scale(_ x: Tensor, by alpha: Float) throws {
        let xs = try floats(x, "scale")
        vectorLoop(count: x.count) { i, width in
            VectorMath.store(VectorMath.load(xs + i, count: width) * alpha, xs + i, count: width)
        }
    }

    public func multiply(_ a: Tensor, _ b: Tensor, into out: Tensor) throws {
        try requireSameCount(a, b, "multiply")
        try requireSameCount(a, out, "multiply")
        let xs = try floats(a, "multiply a")
        let ys = try floats(b, "multiply b")
        let zs = try floats(out, "multiply out")
        vectorLoop(count: a.count) { i, width in
            let product = VectorMath.load(xs + i, count: width) * VectorMath.load(ys + i, count: width)
            VectorMath.store(product, zs + i, count: width)
        }
    }

    public func addRowVector(_ vector: Tensor, to matrix: Tensor) throws {
        let columns = vector.count
        try requireMatrix(matrix, rows: matrix.rows, columns: columns, "addRowVector matrix")
        let v = try floats(vector, "addRowVector vector")
        let m = try floats(matrix, "addRowVector matrix")
        rowLoop(rows: matrix.rows, workPerRow: columns) { rows in
            for r in rows {
                let row = m + r * columns
                var c = 0
                while c < columns {
                    let width = min(16, columns - c)
                    let sum = VectorMath.load(row + c, count: width) + VectorMath.load(v + c, count: width)
                    VectorMath.store(sum, row + c, count: width)
                    c += 16
                }
            }
        }
    }

    /// The raw bytes of a tensor of either dtype owned by this backend.
    private func rawElements(_ tensor: Tensor, _ role: String) throws -> UnsafeMutableRawPointer {
        if tensor.dtype == .float32 { return UnsafeMutableRawPointer(try floats(tensor, role)) }
        return try ints(tensor, role).base
    }
}
