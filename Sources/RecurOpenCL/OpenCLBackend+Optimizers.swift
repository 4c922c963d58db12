import RecurCore

extension OpenCLBackend {
    public func sgdUpdate(parameter: Tensor, gradient: Tensor, momentumBuffer: Tensor?, step: Int, hyper: SGDHyper) throws {
        try requireEqualCounts("sgdUpdate", parameter, gradient)
        let hasMomentum = hyper.momentum != 0
        if hasMomentum {
            guard let momentumBuffer else { throw BackendError.invalidArgument("SGD with momentum needs a momentum buffer") }
            try requireEqualCounts("sgdUpdate momentum", parameter, momentumBuffer)
        }
        try launchElementwise("sgd_update8", in: "optim", count: (parameter.count + 7) / 8, [
            .tensor(parameter), .tensor(gradient), .optional(hasMomentum ? momentumBuffer : nil),
            .int(hasMomentum ? 1 : 0), .int(step <= 1 ? 1 : 0),
            .float(hyper.learningRate), .float(hyper.momentum), .float(hyper.dampening), .int(hyper.nesterov ? 1 : 0),
            .float(hyper.weightDecay), .int(parameter.count),
        ])
    }

    public func adamUpdate(parameter: Tensor, gradient: Tensor, m: Tensor, v: Tensor, step: Int, hyper: AdamHyper) throws {
        try requireEqualCounts("adamUpdate", parameter, gradient)
        try requireEqualCounts("adamUpdate m", parameter, m)
        try requireEqualCounts("adamUpdate v", parameter, v)
        let (stepSize, biasCorrection2Sqrt) = hyper.coefficients(step: step)
        try launchElementwise("adam_update8", in: "optim", count: (parameter.count + 7) / 8, [
            .tensor(parameter), .tensor(gradient), .tensor(m), .tensor(v),
            .float(hyper.learningRate), .float(hyper.beta1), .float(hyper.beta2), .float(hyper.epsilon),
            .float(hyper.weightDecay), .int(hyper.decoupledWeightDecay ? 1 : 0),
            .float(stepSize), .float(biasCorrection2Sqrt), .int(parameter.count),
        ])
    }

    public func rmspropUpdate(
        parameter: Tensor, gradient: Tensor, squareAverage: Tensor, momentumBuffer: Tensor?, step: Int, hyper: RMSpropHyper
    ) throws {
        try requireEqualCounts("rmspropUpdate", parameter, gradient)
        try requireEqualCounts("rmspropUpdate squareAverage", parameter, squareAverage)
        let hasMomentum = hyper.momentum > 0
        if hasMomentum {
            guard let momentumBuffer else { throw BackendError.invalidArgument("RMSprop with momentum needs a momentum buffer") }
            try requireEqualCounts("rmspropUpdate momentum", parameter, momentumBuffer)
        }
        try launchElementwise("rmsprop_update8", in: "optim", count: (parameter.count + 7) / 8, [
            .tensor(parameter), .tensor(gradient), .tensor(squareAverage),
            .lengths(hasMomentum ? momentumBuffer : nil),  // (buffer, offset, hasMomentum)
            .float(hyper.learningRate), .float(hyper.alpha), .float(hyper.epsilon), .float(hyper.weightDecay),
            .float(hyper.momentum), .int(parameter.count),
        ])
    }

    public func adagradUpdate(parameter: Tensor, gradient: Tensor, sum: Tensor, step: Int, hyper: AdagradHyper) throws {
        try requireEqualCounts("adagradUpdate", parameter, gradient)
        try requireEqualCounts("adagradUpdate sum", parameter, sum)
        try launchElementwise("adagrad_update8", in: "optim", count: (parameter.count + 7) / 8, [
            .tensor(parameter), .tensor(gradient), .tensor(sum),
            .float(hyper.clr(step: step)), .float(hyper.epsilon), .float(hyper.weightDecay), .int(parameter.count),
        ])
    }
}
