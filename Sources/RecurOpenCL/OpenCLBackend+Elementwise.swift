import COpenCL
import RecurCore

extension OpenCLBackend {
    public func fill(_ tensor: Tensor, with value: Float) throws {
        try fillBits(tensor, pattern: value.bitPattern)
    }

    public func copy(_ source: Tensor, to destination: Tensor) throws {
        try requireEqualCounts("copy", source, destination)
        guard source.count > 0 else { return }
        let from = try storage(of: source).buffer, to = try storage(of: destination).buffer
        if from == to && source.offset == destination.offset { return }
        try checkCL(
            clEnqueueCopyBuffer(context.queue, from, to, source.offset * 4, destination.offset * 4, source.count * 4, 0, nil, nil),
            "clEnqueueCopyBuffer")
    }

    public func axpy(alpha: Float, x: Tensor, y: Tensor) throws {
        try requireEqualCounts("axpy", x, y)
        try launchElementwise("axpy", in: "elementwise", count: x.count, [.float(alpha), .tensor(x), .tensor(y), .int(x.count)])
    }

    public func scale(_ x: Tensor, by alpha: Float) throws {
        try launchElementwise("scale", in: "elementwise", count: x.count, [.tensor(x), .float(alpha), .int(x.count)])
    }

    public func multiply(_ a: Tensor, _ b: Tensor, into out: Tensor) throws {
        try requireEqualCounts("multiply", a, b)
        try requireEqualCounts("multiply", a, out)
        try launchElementwise("multiply", in: "elementwise", count: a.count, [.tensor(a), .tensor(b), .tensor(out), .int(a.count)])
    }

    public func addRowVector(_ vector: Tensor, to matrix: Tensor) throws {
        guard vector.count == matrix.columns else {
            throw BackendError.invalidArgument("addRowVector: vector of \(vector.count) for matrix \(matrix.shape)")
        }
        let octets = matrix.columns % 8 == 0
        try launchElementwise(octets ? "add_row_vector8" : "add_row_vector", in: "elementwise",
                              count: octets ? matrix.count / 8 : matrix.count, [
            .tensor(vector), .tensor(matrix), .int(matrix.columns), .int(matrix.count),
        ])
    }

    public func sumRows(_ matrix: Tensor, into vector: Tensor, accumulate: Bool) throws {
        guard vector.count == matrix.columns else {
            throw BackendError.invalidArgument("sumRows: vector of \(vector.count) for matrix \(matrix.shape)")
        }
        // Few, long-running work-items (each walks every row): small work-groups spread them over a CPU's cores.
        let octets = matrix.columns % 8 == 0
        try launch(octets ? "sum_rows8" : "sum_rows", in: "reduce", global: [octets ? matrix.columns / 8 : matrix.columns],
                   local: [4], [
            .tensor(matrix), .int(matrix.rows), .int(matrix.columns), .tensor(vector), .int(accumulate ? 1 : 0),
        ])
    }

    public func sum(_ x: Tensor, into result: Tensor, accumulate: Bool) throws {
        try reduce(x, squares: false, into: result, accumulate: accumulate)
    }

    public func sumOfSquares(_ x: Tensor, into result: Tensor, accumulate: Bool) throws {
        try reduce(x, squares: true, into: result, accumulate: accumulate)
    }

    /// Two stages with a fixed partition, so the result does not depend on scheduling.
    private func reduce(_ x: Tensor, squares: Bool, into result: Tensor, accumulate: Bool) throws {
        guard result.count == 1 else { throw BackendError.invalidArgument("reduction result must have one element, has \(result.count)") }
        let partials = Tensor(storage: reductionPartials, shape: [Self.reductionPartialCount])
        if style == .cpu {
            // Contiguous chunks (a multiple of 8 floats) per partial: see sum_partials8.
            let chunk = ((x.count + Self.reductionPartialCount - 1) / Self.reductionPartialCount + 7) / 8 * 8
            try launchElementwise("sum_partials8", in: "reduce", count: Self.reductionPartialCount, [
                .tensor(x), .int(x.count), .int(squares ? 1 : 0), .tensor(partials), .int(Self.reductionPartialCount), .int(chunk),
            ])
        } else {
            try launchElementwise("sum_partials", in: "reduce", count: Self.reductionPartialCount, [
                .tensor(x), .int(x.count), .int(squares ? 1 : 0), .tensor(partials), .int(Self.reductionPartialCount),
            ])
        }
        try launch("sum_finish", in: "reduce", global: [1], [
            .tensor(partials), .int(Self.reductionPartialCount), .tensor(result), .int(accumulate ? 1 : 0),
        ])
    }

    public func clipScale(_ x: Tensor, normSquared: Tensor, maxNorm: Float) throws {
        try launchElementwise(style == .cpu ? "clip_scale8" : "clip_scale", in: "reduce",
                              count: style == .cpu ? (x.count + 7) / 8 : x.count, [
            .tensor(x), .int(x.count), .tensor(normSquared), .float(maxNorm),
        ])
    }

    func requireEqualCounts(_ op: String, _ a: Tensor, _ b: Tensor) throws {
        guard a.count == b.count else {
            throw BackendError.invalidArgument("\(op): element counts differ (\(a.shape) vs \(b.shape))")
        }
    }
}
