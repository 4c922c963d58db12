import RecurCore

extension OpenCLBackend {
    public func batchNormStatistics(_ x: Tensor, mean: Tensor, variance: Tensor) throws {
        guard mean.count == x.columns, variance.count == x.columns, x.rows > 0 else {
            throw BackendError.invalidArgument("batchNormStatistics: statistics of \(mean.count) for \(x.shape)")
        }
        try launch("batchnorm_statistics", in: "batchnorm", global: [x.columns], local: [4], [
            .tensor(x), .int(x.rows), .int(x.columns), .tensor(mean), .tensor(variance),
        ])
    }

    public func batchNormApply(_ x: Tensor, mean: Tensor, variance: Tensor, gamma: Tensor, beta: Tensor, epsilon: Float,
                               into y: Tensor) throws {
        guard y.count == x.count, [mean, variance, gamma, beta].allSatisfy({ $0.count == x.columns }) else {
            throw BackendError.invalidArgument("batchNormApply: vectors must have \(x.columns) elements, y \(x.count)")
        }
        try launchElementwise("batchnorm_apply", in: "batchnorm", count: x.count, [
            .tensor(x), .tensor(mean), .tensor(variance), .tensor(gamma), .tensor(beta), .float(epsilon), .tensor(y),
            .int(x.columns), .int(x.count),
        ])
    }

    public func batchNormBackward(dy: Tensor, x: Tensor, mean: Tensor, variance: Tensor, gamma: Tensor, epsilon: Float,
                                  dx: Tensor, dGamma: Tensor, dBeta: Tensor) throws {
        guard dy.count == x.count, dx.count == x.count,
              [mean, variance, gamma, dGamma, dBeta].allSatisfy({ $0.count == x.columns }) else {
            throw BackendError.invalidArgument("batchNormBackward: vectors must have \(x.columns) elements")
        }
        try launch("batchnorm_backward", in: "batchnorm", global: [x.columns], local: [4], [
            .tensor(dy), .tensor(x), .tensor(mean), .tensor(variance), .tensor(gamma), .float(epsilon), .tensor(dx),
            .tensor(dGamma), .tensor(dBeta), .int(x.rows), .int(x.columns),
        ])
    }

    public func relu(_ x: Tensor, into y: Tensor) throws {
        guard x.count == y.count else { throw BackendError.invalidArgument("relu: \(x.shape) into \(y.shape)") }
        try launchElementwise("relu_forward", in: "batchnorm", count: x.count, [.tensor(x), .tensor(y), .int(x.count)])
    }

    public func reluBackward(dy: Tensor, y: Tensor, into dx: Tensor) throws {
        guard dy.count == y.count, dy.count == dx.count else { throw BackendError.invalidArgument("reluBackward: \(dy.shape), \(y.shape), \(dx.shape)") }
        try launchElementwise("relu_backward", in: "batchnorm", count: dy.count, [.tensor(dy), .tensor(y), .tensor(dx), .int(dy.count)])
    }
}
