import Foundation
import Testing
@testable import RecurCore

@Test func vectorExpTanhSigmoidAreAccurate() {
    var worstExp = 0.0, worstTanh = 0.0, worstSigmoid = 0.0
    var x: Float = -20
    while x < 20 {
        var v = FloatVector()
        for lane in 0..<16 { v[lane] = x + Float(lane) * 0.0011 }
        let e = VectorMath.exp(v), t = VectorMath.tanh(v), s = VectorMath.sigmoid(v)
        for lane in 0..<16 {
            let input = Double(v[lane])
            worstExp = max(worstExp, abs(Double(e[lane]) - exp(input)) / exp(input))
            worstTanh = max(worstTanh, abs(Double(t[lane]) - tanh(input)))
            worstSigmoid = max(worstSigmoid, abs(Double(s[lane]) - 1 / (1 + exp(-input))))
        }
        x += 0.0173
    }
    #expect(worstExp < 5e-7)
    #expect(worstTanh < 3e-7)
    #expect(worstSigmoid < 3e-7)
    #expect(VectorMath.exp(FloatVector(repeating: -1000))[0] < 1e-37)
    #expect(VectorMath.tanh(FloatVector(repeating: 1000))[0] == 1)
    #expect(VectorMath.tanh(FloatVector(repeating: -1000))[0] == -1)
}
