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

@Test func vectorLogAndSinCosAreAccurate() {
    var worstLog = 0.0, worstSin = 0.0, worstCos = 0.0
    var x: Float = 1e-10
    while x < 1e6 {
        var v = FloatVector()
        for lane in 0..<16 { v[lane] = x * (1 + Float(lane) * 0.0137) }
        let l = VectorMath.log(v)
        for lane in 0..<16 { worstLog = max(worstLog, abs(Double(l[lane]) - log(Double(v[lane]))) / max(1, abs(log(Double(v[lane]))))) }
        x *= 1.0311
    }
    var t: Float = 0
    while t <= 1 {
        var v = FloatVector()
        for lane in 0..<16 { v[lane] = min(1, t + Float(lane) * 0.000_061) }
        let (s, c) = VectorMath.sinCos(turns: v)
        for lane in 0..<16 {
            let angle = 2 * Double.pi * Double(v[lane])
            worstSin = max(worstSin, abs(Double(s[lane]) - sin(angle)))
            worstCos = max(worstCos, abs(Double(c[lane]) - cos(angle)))
        }
        t += 0.000_977
    }
    #expect(worstLog < 3e-7)
    #expect(worstSin < 3e-7)
    #expect(worstCos < 3e-7)
}
