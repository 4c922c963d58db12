import RecurCore

extension PoolMode {
    /// The mode's number in `Kernels/pooling.cl`.
    var kernelCode: Int {
        switch self {
        case .sum: return 0
        case .mean: return 1
        case .max: return 2
        }
    }
}

extension OpenCLBackend {
    public func poolForward(_ mode: PoolMode, input: Tensor, lengths: Tensor?, output: Tensor, argmax: Tensor?) throws {
        guard input.rank == 3 else { throw BackendError.invalidArgument("poolForward input must be [T, B, H], is \(input.shape)") }
        let (steps, batch, hidden) = (input.shape[0], input.shape[1], input.shape[2])
        try requireCount("poolForward output", output, batch * hidden)
        if mode == .max {
            guard let argmax else { throw BackendError.invalidArgument("max pooling needs an argmax tensor") }
            try requireCount("poolForward argmax", argmax, batch * hidden)
        }
        try launchElementwise("pool_forward", in: "pooling", count: batch * hidden, [
            .int(mode.kernelCode), .int(steps), .int(batch), .int(hidden), .tensor(input), .lengths(lengths),
            .tensor(output), .optional(mode == .max ? argmax : nil),
        ])
    }

    public func poolBackward(_ mode: PoolMode, dOutput: Tensor, lengths: Tensor?, argmax: Tensor?, dInput: Tensor) throws {
        guard dInput.rank == 3 else { throw BackendError.invalidArgument("poolBackward dInput must be [T, B, H], is \(dInput.shape)") }
        let (steps, batch, hidden) = (dInput.shape[0], dInput.shape[1], dInput.shape[2])
        try requireCount("poolBackward dOutput", dOutput, batch * hidden)
        if mode == .max && argmax == nil { throw BackendError.invalidArgument("max pooling backward needs the argmax tensor") }
        try launchElementwise("pool_backward", in: "pooling", count: dInput.count, [
            .int(mode.kernelCode), .int(steps), .int(batch), .int(hidden), .tensor(dOutput), .lengths(lengths),
            .optional(mode == .max ? argmax : nil), .tensor(dInput),
        ])
    }
}
