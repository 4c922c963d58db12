import Recur
import RecurCore
import Testing

/// Checks each parameter's `count` largest backward-pass gradients against central finite differences of
/// `loss` (which must not accumulate gradients when asked for the value alone).
func expectGradientsMatchFiniteDifferences(_ parameters: [Parameter], largest count: Int, step eps: Float = 1e-2, on backend: Backend,
                                           _ what: String, loss: () throws -> Double,
                                           sourceLocation: SourceLocation = #_sourceLocation) throws {
    // All gradients first: the value-only passes may touch them (weight drop re-masks them).
    let gradients = try parameters.map { try backend.download($0.gradient) }
    for (parameter, gradient) in zip(parameters, gradients) {
        let values = try backend.download(parameter.value)
        for index in gradient.indices.sorted(by: { abs(gradient[$0]) > abs(gradient[$1]) }).prefix(count) {
            var plus = values, minus = values
            plus[index] += eps
            minus[index] -= eps
            try backend.write(plus, to: parameter.value)
            let up = try loss()
            try backend.write(minus, to: parameter.value)
            let down = try loss()
            try backend.write(values, to: parameter.value)
            let numeric = (up - down) / Double(2 * eps)
            #expect(abs(numeric - Double(gradient[index])) <= 1e-4 + 0.03 * abs(numeric),
                    "\(what) \(parameter.name)[\(index)]: backward \(gradient[index]), finite differences \(numeric)",
                    sourceLocation: sourceLocation)
        }
    }
}
