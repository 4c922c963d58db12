// Fused optimizer updates with PyTorch's semantics. The per-step scalars come from
// OptimizerHyperparameters.swift and the arithmetic mirrors Kernels/optim.cl (same fused multiply-adds),
// so both backends step identically up to rounding.

extension CPUBackend {
    public func sgdUpdate(parameter: Tensor, gradient: Tensor, momentumBuffer: Tensor?, step: Int, hyper: SGDHyper) throws {
        let (p, g) = try parameterAndGradient(parameter, gradient, "sgdUpdate")
        let buffer = try stateTensor(momentumBuffer, like: parameter, needed: hyper.momentum != 0, "sgdUpdate momentumBuffer")
        let lr = hyper.learningRate, decay = hyper.weightDecay, momentum = hyper.momentum
        let dampened = 1 - hyper.dampening, nesterov = hyper.nesterov, firstStep = step <= 1
        vectorLoop(count: parameter.count) { i, w in
            let weight = VectorMath.load(p + i, count: w)
            var grad = VectorMath.load(g + i, count: w)
            if decay != 0 { grad = grad.addingProduct(decay, weight) }
            if let buffer {
                let old = VectorMath.load(buffer + i, count: w)
                let velocity = firstStep ? grad : (dampened * grad).addingProduct(momentum, old)
                VectorMath.store(velocity, buffer + i, count: w)
                grad = nesterov ? grad.addingProduct(momentum, velocity) : velocity
            }
            VectorMath.store(weight - lr * grad, p + i, count: w)
        }
    }

    public func adamUpdate(parameter: Tensor, gradient: Tensor, m: Tensor, v: Tensor, step: Int, hyper: AdamHyper) throws {
        try require(step >= 1, "adamUpdate: step counts from 1, got \(step)")
        let (p, g) = try parameterAndGradient(parameter, gradient, "adamUpdate")
        let firstMoment = try stateTensor(m, like: parameter, needed: true, "adamUpdate m")!
        let secondMoment = try stateTensor(v, like: parameter, needed: true, "adamUpdate v")!
        let (stepSize, biasCorrection2Sqrt) = hyper.coefficients(step: step)
        let beta1 = hyper.beta1, beta2 = hyper.beta2, epsilon = hyper.epsilon, decay = hyper.weightDecay
        let decoupled = hyper.decoupledWeightDecay, shrink = 1 - hyper.learningRate * decay
        vectorLoop(count: parameter.count) { i, w in
            var weight = VectorMath.load(p + i, count: w)
            var grad = VectorMath.load(g + i, count: w)
            if decay != 0 {
                if decoupled { weight *= shrink } else { grad = grad.addingProduct(decay, weight) }
            }
            let mean = ((1 - beta1) * grad).addingProduct(beta1, VectorMath.load(firstMoment + i, count: w))
            let variance = ((1 - beta2) * grad * grad).addingProduct(beta2, VectorMath.load(secondMoment + i, count: w))
            VectorMath.store(mean, firstMoment + i, count: w)
            VectorMath.store(variance, secondMoment + i, count: w)
            let denominator = variance.squareRoot() / biasCorrection2Sqrt + epsilon
            VectorMath.store(weight - stepSize * (mean / denominator), p + i, count: w)
        }
    }

    public func rmspropUpdate(parameter: Tensor, gradient: Tensor, squareAverage: Tensor, momentumBuffer: Tensor?, step: Int, hyper: RMSpropHyper) throws {
        let (p, g) = try parameterAndGradient(parameter, gradient, "rmspropUpdate")
        let squares = try stateTensor(squareAverage, like: parameter, needed: true, "rmspropUpdate squareAverage")!
        let buffer = try stateTensor(momentumBuffer, like: parameter, needed: hyper.momentum != 0, "rmspropUpdate momentumBuffer")
        let lr = hyper.learningRate, alpha = hyper.alpha, epsilon = hyper.epsilon
        let decay = hyper.weightDecay, momentum = hyper.momentum
        vectorLoop(count: parameter.count) { i, w in
            let weight = VectorMath.load(p + i, count: w)
            var grad = VectorMath.load(g + i, count: w)
            if decay != 0 { grad = grad.addingProduct(decay, weight) }
            let square = ((1 - alpha) * grad * grad).addingProduct(alpha, VectorMath.load(squares + i, count: w))
            VectorMath.store(square, squares + i, count: w)
            let average = square.squareRoot() + epsilon
            if let buffer {
                let velocity = (grad / average).addingProduct(momentum, VectorMath.load(buffer + i, count: w))
                VectorMath.store(velocity, buffer + i, count: w)
                VectorMath.store(weight - lr * velocity, p + i, count: w)
            } else {
                VectorMath.store(weight - lr * (grad / average), p + i, count: w)
            }
        }
    }

    public func adagradUpdate(parameter: Tensor, gradient: Tensor, sum: Tensor, step: Int, hyper: AdagradHyper) throws {
        try require(step >= 1, "adagradUpdate: step counts from 1, got \(step)")
        let (p, g) = try parameterAndGradient(parameter, gradient, "adagradUpdate")
        let sums = try stateTensor(sum, like: parameter, needed: true, "adagradUpdate sum")!
        let clr = hyper.clr(step: step), epsilon = hyper.epsilon, decay = hyper.weightDecay
        vectorLoop(count: parameter.count) { i, w in
            let weight = VectorMath.load(p + i, count: w)
            var grad = VectorMath.load(g + i, count: w)
            if decay != 0 { grad = grad.addingProduct(decay, weight) }
            let total = VectorMath.load(sums + i, count: w).addingProduct(grad, grad)
            VectorMath.store(total, sums + i, count: w)
            VectorMath.store(weight - clr * (grad / (total.squareRoot() + epsilon)), p + i, count: w)
        }
    }

    private func parameterAndGradient(_ parameter: Tensor, _ gradient: Tensor, _ role: String) throws
        -> (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) {
        try requireSameCount(parameter, gradient, "\(role) gradient")
        return (try floats(parameter, "\(role) parameter"), try floats(gradient, "\(role) gradient"))
    }

    /// An optimizer state tensor the size of the parameter; nil when not `needed`, an error when missing.
    private func stateTensor(_ state: Tensor?, like parameter: Tensor, needed: Bool, _ role: String) throws -> UnsafeMutablePointer<Float>? {
        guard needed else { return nil }
        guard let state else { throw BackendError.invalidArgument("\(role) is required by these hyperparameters") }
        try requireSameCount(state, parameter, role)
        return try floats(state, role)
    }
}
