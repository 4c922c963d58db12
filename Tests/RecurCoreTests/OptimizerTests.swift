import Foundation
import Testing
@testable import RecurCore

// Three steps of each optimizer against PyTorch's update rules written out in Double
// (the formulas in OptimizerHyperparameters.swift), with a new gradient every step.

private let count = 37
private let stepCount = 3

private struct Run {
    var parameter: [Double]
    var gradients: [[Float]]
    init(seed: UInt64) {
        var random = SeededRandom(seed)
        parameter = random.floats(count).doubles
        gradients = (0..<stepCount).map { _ in random.floats(count) }
    }
}

/// Steps the backend optimizer `update(step, parameter, gradient)` and returns the parameter afterwards.
private func runBackend(_ backend: CPUBackend, _ run: Run, _ update: (Int, Tensor, Tensor) throws -> Void) throws -> [Float] {
    let parameter = try backend.upload(run.parameter.map(Float.init), shape: [count])
    for step in 1...stepCount {
        try update(step, parameter, try backend.upload(run.gradients[step - 1], shape: [count]))
    }
    return try backend.download(parameter)
}

@Test(arguments: [
    SGDHyper(learningRate: 0.1),
    SGDHyper(learningRate: 0.1, momentum: 0.9, weightDecay: 0.01),
    SGDHyper(learningRate: 0.05, momentum: 0.8, dampening: 0.3),
    SGDHyper(learningRate: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.1),
])
func sgdMatchesPyTorchRule(hyper: SGDHyper) throws {
    let backend = CPUBackend()
    let run = Run(seed: 61)
    let buffer = try backend.zeros([count], dtype: .float32)
    let actual = try runBackend(backend, run) { step, p, g in
        try backend.sgdUpdate(parameter: p, gradient: g, momentumBuffer: hyper.momentum != 0 ? buffer : nil, step: step, hyper: hyper)
    }
    var p = run.parameter, velocity = [Double](repeating: 0, count: count)
    let lr = Double(hyper.learningRate), momentum = Double(hyper.momentum)
    for step in 1...stepCount {
        for i in 0..<count {
            var g = Double(run.gradients[step - 1][i]) + Double(hyper.weightDecay) * p[i]
            if momentum != 0 {
                velocity[i] = step == 1 ? g : momentum * velocity[i] + (1 - Double(hyper.dampening)) * g
                g = hyper.nesterov ? g + momentum * velocity[i] : velocity[i]
            }
            p[i] -= lr * g
        }
    }
    #expect(maxScaledError(actual, p) < 1e-6)
}

@Test(arguments: [
    AdamHyper(learningRate: 0.01),
    AdamHyper(learningRate: 0.01, beta1: 0.8, beta2: 0.95, epsilon: 1e-6, weightDecay: 0.1),
    AdamHyper(learningRate: 0.01, weightDecay: 0.1, decoupledWeightDecay: true),
])
func adamMatchesPyTorchRule(hyper: AdamHyper) throws {
    let backend = CPUBackend()
    let run = Run(seed: 62)
    let m = try backend.zeros([count], dtype: .float32), v = try backend.zeros([count], dtype: .float32)
    let actual = try runBackend(backend, run) { step, p, g in
        try backend.adamUpdate(parameter: p, gradient: g, m: m, v: v, step: step, hyper: hyper)
    }
    var p = run.parameter
    var first = [Double](repeating: 0, count: count), second = first
    let lr = Double(hyper.learningRate), beta1 = Double(hyper.beta1), beta2 = Double(hyper.beta2)
    let decay = Double(hyper.weightDecay), epsilon = Double(hyper.epsilon)
    for step in 1...stepCount {
        for i in 0..<count {
            var g = Double(run.gradients[step - 1][i])
            if hyper.decoupledWeightDecay { p[i] *= 1 - lr * decay } else { g += decay * p[i] }
            first[i] = beta1 * first[i] + (1 - beta1) * g
            second[i] = beta2 * second[i] + (1 - beta2) * g * g
            let mHat = first[i] / (1 - pow(beta1, Double(step)))
            let vHat = second[i] / (1 - pow(beta2, Double(step)))
            p[i] -= lr * mHat / (vHat.squareRoot() + epsilon)
        }
    }
    #expect(maxScaledError(actual, p) < 2e-6)
}

@Test(arguments: [
    RMSpropHyper(learningRate: 0.01),
    RMSpropHyper(learningRate: 0.01, alpha: 0.9, weightDecay: 0.05, momentum: 0.7),
])
func rmspropMatchesPyTorchRule(hyper: RMSpropHyper) throws {
    let backend = CPUBackend()
    let run = Run(seed: 63)
    let squares = try backend.zeros([count], dtype: .float32), buffer = try backend.zeros([count], dtype: .float32)
    let actual = try runBackend(backend, run) { step, p, g in
        try backend.rmspropUpdate(parameter: p, gradient: g, squareAverage: squares,
                                  momentumBuffer: hyper.momentum != 0 ? buffer : nil, step: step, hyper: hyper)
    }
    var p = run.parameter, square = [Double](repeating: 0, count: count), velocity = square
    let alpha = Double(hyper.alpha), momentum = Double(hyper.momentum)
    for step in 1...stepCount {
        for i in 0..<count {
            let g = Double(run.gradients[step - 1][i]) + Double(hyper.weightDecay) * p[i]
            square[i] = alpha * square[i] + (1 - alpha) * g * g
            let average = square[i].squareRoot() + Double(hyper.epsilon)
            if momentum != 0 {
                velocity[i] = momentum * velocity[i] + g / average
                p[i] -= Double(hyper.learningRate) * velocity[i]
            } else {
                p[i] -= Double(hyper.learningRate) * g / average
            }
        }
    }
    #expect(maxScaledError(actual, p) < 2e-6)
}

@Test func adagradMatchesPyTorchRule() throws {
    let backend = CPUBackend()
    let hyper = AdagradHyper(learningRate: 0.1, learningRateDecay: 0.5, weightDecay: 0.02)
    let run = Run(seed: 64)
    let sums = try backend.zeros([count], dtype: .float32)
    let actual = try runBackend(backend, run) { step, p, g in
        try backend.adagradUpdate(parameter: p, gradient: g, sum: sums, step: step, hyper: hyper)
    }
    var p = run.parameter, sum = [Double](repeating: 0, count: count)
    for step in 1...stepCount {
        let clr = Double(hyper.learningRate) / (1 + Double(step - 1) * Double(hyper.learningRateDecay))
        for i in 0..<count {
            let g = Double(run.gradients[step - 1][i]) + Double(hyper.weightDecay) * p[i]
            sum[i] += g * g
            p[i] -= clr * g / (sum[i].squareRoot() + Double(hyper.epsilon))
        }
    }
    #expect(maxScaledError(actual, p) < 2e-6)
}

@Test func momentumWithoutBufferIsAnError() throws {
    let backend = CPUBackend()
    let p = try backend.zeros([3], dtype: .float32)
    #expect(throws: BackendError.self) {
        try backend.sgdUpdate(parameter: p, gradient: p, momentumBuffer: nil, step: 1, hyper: SGDHyper(learningRate: 1, momentum: 0.9))
    }
}
