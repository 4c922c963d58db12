// Masked pooling over time: [T, B, H] -> [B, H] over each row's valid steps t < lengths[b].
// Lengths are clamped to 0...T as in Kernels/pooling.cl; a row of length 0 pools to 0 with arg-max -1.

extension CPUBackend {
    public func poolForward(_ mode: PoolMode, input: Tensor, lengths: Tensor?, output: Tensor, argmax: Tensor?) throws {
        try require(input.rank == 3, "poolForward: input must be [T, B, H], got \(input.shape)")
        let steps = input.shape[0], batch = input.shape[1], hidden = input.shape[2]
        try requireMatrix(output, rows: batch, columns: hidden, "poolForward output")
        let x = try floats(input, "poolForward input"), out = try floats(output, "poolForward output")
        let lengths = try lengthElements(lengths, batch: batch, "poolForward")
        var best: Int32Elements?
        if mode == .max {
            guard let argmax else { throw BackendError.invalidArgument("poolForward: .max needs an argmax tensor") }
            try require(argmax.count == batch * hidden, "poolForward: argmax has shape \(argmax.shape), expected [\(batch), \(hidden)]")
            best = try ints(argmax, "poolForward argmax")
        }
        let stride = batch * hidden
        rowLoop(rows: batch, workPerRow: steps * hidden) { rows in
            for b in rows {
                let length = lengths.map { min(max(Int($0[b]), 0), steps) } ?? steps
                let row = b * hidden
                if let best {
                    // 16 units at a time, walking down the steps (each step's row is contiguous): the first
                    // step, then any strictly greater value, as the scalar rule "first maximum" takes it.
                    var u = 0
                    while u < hidden {
                        let w = min(16, hidden - u)
                        var value = length > 0 ? VectorMath.load(x + row + u, count: w) : FloatVector()
                        var step = SIMD16<Int32>(repeating: length > 0 ? 0 : -1)
                        for t in 1..<max(1, length) {
                            let candidate = VectorMath.load(x + t * stride + row + u, count: w)
                            let greater = candidate .> value
                            value.replace(with: candidate, where: greater)
                            step.replace(with: Int32(t), where: greater)
                        }
                        VectorMath.store(value, out + row + u, count: w)
                        for lane in 0..<w { best[row + u + lane] = step[lane] }
                        u += 16
                    }
                    continue
                }
                var u = 0
                while u < hidden {
                    let w = min(16, hidden - u)
                    var total = FloatVector()
                    for t in 0..<length { total += VectorMath.load(x + t * stride + row + u, count: w) }
                    if mode == .mean { total = length > 0 ? total / Float(length) : FloatVector() }
                    VectorMath.store(total, out + row + u, count: w)
                    u += 16
                }
            }
        }
    }

    public func poolBackward(_ mode: PoolMode, dOutput: Tensor, lengths: Tensor?, argmax: Tensor?, dInput: Tensor) throws {
        try require(dInput.rank == 3, "poolBackward: dInput must be [T, B, H], got \(dInput.shape)")
        let steps = dInput.shape[0], batch = dInput.shape[1], hidden = dInput.shape[2]
        try requireMatrix(dOutput, rows: batch, columns: hidden, "poolBackward dOutput")
        let dOut = try floats(dOutput, "poolBackward dOutput"), dIn = try floats(dInput, "poolBackward dInput")
        let lengths = try lengthElements(lengths, batch: batch, "poolBackward")
        var best: Int32Elements?
        if mode == .max {
            guard let argmax else { throw BackendError.invalidArgument("poolBackward: .max needs the argmax tensor") }
            try require(argmax.count == batch * hidden, "poolBackward: argmax has shape \(argmax.shape), expected [\(batch), \(hidden)]")
            best = try ints(argmax, "poolBackward argmax")
        }
        let stride = batch * hidden
        rowLoop(rows: batch, workPerRow: steps * hidden) { rows in
            for b in rows {
                let length = lengths.map { min(max(Int($0[b]), 0), steps) } ?? steps
                let row = b * hidden
                if let best {
                    for u in 0..<hidden {
                        let t = Int(best[row + u])
                        if t >= 0 && t < length { dIn[t * stride + row + u] += dOut[row + u] }
                    }
                    continue
                }
                var u = 0
                while u < hidden {
                    let w = min(16, hidden - u)
                    var g = VectorMath.load(dOut + row + u, count: w)
                    if mode == .mean && length > 0 { g = g / Float(length) }
                    for t in 0..<length {
                        let at = dIn + t * stride + row + u
                        VectorMath.store(VectorMath.load(at, count: w) + g, at, count: w)
                    }
                    u += 16
                }
            }
        }
    }
}
