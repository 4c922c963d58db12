import Foundation
import RecurCore
import Testing
@testable import RecurOpenCL

/// Three steps of each fused update against PyTorch's formulas evaluated in Double.
extension OpenCLOpTests {
    private static let count = 301

    private func run(
        _ backend: OpenCLBackend, stateCount: Int, seed: UInt64,
        update: (_ parameter: Tensor, _ gradient: Tensor, _ state: [Tensor], _ step: Int) throws -> Void,
        reference: (_ p: inout Double, _ g: Double, _ state: inout [Double], _ step: Int) -> Void
    ) throws -> (actual: [Float], expected: [Double], actualState: [[Float]], expectedState: [[Double]]) {
        var random = SeededGenerator(seed: seed)
        let p0 = random.floats(Self.count)
        let parameter = try backend.upload(p0, shape: [Self.count])
        let state = try (0..<stateCount).map { _ in try backend.zeros([Self.count], dtype: .float32) }
        var expected = p0.map(Double.init)
        var expectedState = [[Double]](repeating: [Double](repeating: 0, count: Self.count), count: stateCount)
        for step in 1...3 {
            let g = random.floats(Self.count)
            try update(parameter, try backend.upload(g, shape: [Self.count]), state, step)
            for i in 0..<Self.count {
                var s = expectedState.map { $0[i] }
                reference(&expected[i], Double(g[i]), &s, step)
                for k in 0..<stateCount { expectedState[k][i] = s[k] }
            }
        }
        return (try backend.download(parameter), expected, try state.map { try backend.download($0) }, expectedState)
    }

    private func check(_ result: (actual: [Float], expected: [Double], actualState: [[Float]], expectedState: [[Double]]), _ label: String) {
        expectClose(result.actual, result.expected, "\(label) parameter")
        for k in result.actualState.indices { expectClose(result.actualState[k], result.expectedState[k], "\(label) state \(k)") }
    }

    @Test func sgdUpdates() throws {
        try forEachBackend { backend in
            for hyper in [SGDHyper(learningRate: 0.1), SGDHyper(learningRate: 0.1, momentum: 0.9, dampening: 0.1, weightDecay: 0.01),
                          SGDHyper(learningRate: 0.05, momentum: 0.8, nesterov: true)] {
                let hasMomentum = hyper.momentum != 0
                check(try run(backend, stateCount: hasMomentum ? 1 : 0, seed: 10, update: { p, g, s, step in
                    try backend.sgdUpdate(parameter: p, gradient: g, momentumBuffer: s.first, step: step, hyper: hyper)
                }, reference: { p, g, s, step in
                    var g = g + Double(hyper.weightDecay) * p
                    if hasMomentum {
                        s[0] = step == 1 ? g : Double(hyper.momentum) * s[0] + (1 - Double(hyper.dampening)) * g
                        g = hyper.nesterov ? g + Double(hyper.momentum) * s[0] : s[0]
                    }
                    p -= Double(hyper.learningRate) * g
                }), "\(backend.label) \(hyper)")
            }
        }
    }

    @Test func adamAndAdamWUpdates() throws {
        try forEachBackend { backend in
            for hyper in [AdamHyper(learningRate: 0.01), AdamHyper(learningRate: 0.01, weightDecay: 0.1),
                          AdamHyper(learningRate: 0.01, beta1: 0.8, weightDecay: 0.1, decoupledWeightDecay: true)] {
                check(try run(backend, stateCount: 2, seed: 11, update: { p, g, s, step in
                    try backend.adamUpdate(parameter: p, gradient: g, m: s[0], v: s[1], step: step, hyper: hyper)
                }, reference: { p, g, s, step in
                    let (lr, b1, b2, wd) = (Double(hyper.learningRate), Double(hyper.beta1), Double(hyper.beta2), Double(hyper.weightDecay))
                    var g = g
                    if hyper.decoupledWeightDecay { p *= 1 - lr * wd } else { g += wd * p }
                    s[0] = b1 * s[0] + (1 - b1) * g
                    s[1] = b2 * s[1] + (1 - b2) * g * g
                    let bc1 = 1 - pow(b1, Double(step)), bc2 = 1 - pow(b2, Double(step))
                    p -= lr / bc1 * s[0] / (s[1].squareRoot() / bc2.squareRoot() + Double(hyper.epsilon))
                }), "\(backend.label) \(hyper)")
            }
        }
    }

    @Test func rmspropUpdates() throws {
        try forEachBackend { backend in
            for hyper in [RMSpropHyper(learningRate: 0.01), RMSpropHyper(learningRate: 0.01, weightDecay: 0.1, momentum: 0.9)] {
                let hasMomentum = hyper.momentum > 0
                check(try run(backend, stateCount: hasMomentum ? 2 : 1, seed: 12, update: { p, g, s, step in
                    try backend.rmspropUpdate(parameter: p, gradient: g, squareAverage: s[0], momentumBuffer: hasMomentum ? s[1] : nil,
                                              step: step, hyper: hyper)
                }, reference: { p, g, s, _ in
                    let g = g + Double(hyper.weightDecay) * p
                    let alpha = Double(hyper.alpha)
                    s[0] = alpha * s[0] + (1 - alpha) * g * g
                    let average = s[0].squareRoot() + Double(hyper.epsilon)
                    if hasMomentum {
                        s[1] = Double(hyper.momentum) * s[1] + g / average
                        p -= Double(hyper.learningRate) * s[1]
                    } else {
                        p -= Double(hyper.learningRate) * g / average
                    }
                }), "\(backend.label) \(hyper)")
            }
        }
    }

    @Test func adagradUpdates() throws {
        try forEachBackend { backend in
            let hyper = AdagradHyper(learningRate: 0.1, learningRateDecay: 0.5, weightDecay: 0.01)
            check(try run(backend, stateCount: 1, seed: 13, update: { p, g, s, step in
                try backend.adagradUpdate(parameter: p, gradient: g, sum: s[0], step: step, hyper: hyper)
            }, reference: { p, g, s, step in
                let g = g + Double(hyper.weightDecay) * p
                let clr = Double(hyper.learningRate) / (1 + Double(step - 1) * Double(hyper.learningRateDecay))
                s[0] += g * g
                p -= clr * g / (s[0].squareRoot() + Double(hyper.epsilon))
            }), "\(backend.label) \(hyper)")
        }
    }
}
