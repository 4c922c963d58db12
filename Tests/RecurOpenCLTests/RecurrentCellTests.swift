import Foundation
import RecurCore
import Testing
@testable import RecurOpenCL

private func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }

extension OpenCLOpTests {
    /// Lengths [3, 0, 1, 2] at t = 1: rows 0 and 3 are valid, rows 1 and 2 carry their state.
    private static let lengths: [Int32] = [3, 0, 1, 2]
    private static let batch = 4, hidden = 5, t = 1
    private static func valid(_ b: Int, _ lengths: [Int32]?) -> Bool { lengths.map { t < Int($0[b]) } ?? true }

    /// Hidden 5 runs the scalar kernels, 16 the float8 ones.
    @Test(arguments: [5, 16]) func lstmCellForwardAndBackward(hidden: Int) throws {
        let (batch, t) = (Self.batch, Self.t)
        try forEachBackend { backend in
            for lengths in [Self.lengths, nil] {
                var random = SeededGenerator(seed: 4)
                let pre = random.floats(batch * 4 * hidden, in: -3...3)
                let c0 = random.floats(batch * hidden), h0 = random.floats(batch * hidden)
                let lengthsTensor = try lengths.map { try backend.upload($0, shape: [batch]) }
                let gates = try backend.upload(pre, shape: [batch, 4 * hidden])
                let cPrev = try backend.upload(c0, shape: [batch, hidden]), hPrev = try backend.upload(h0, shape: [batch, hidden])
                let cNext = try backend.zeros([batch, hidden], dtype: .float32), hNext = try backend.zeros([batch, hidden], dtype: .float32)
                let output = try backend.upload(random.floats(batch * hidden), shape: [batch, hidden])
                try backend.lstmCellForward(gates: gates, cPrev: cPrev, hPrev: hPrev, cNext: cNext, hNext: hNext, output: output,
                                            lengths: lengthsTensor, t: t)

                var act = [Double](repeating: 0, count: pre.count)
                var c = [Double](repeating: 0, count: batch * hidden), h = c, out = c
                for b in 0..<batch {
                    for j in 0..<hidden {
                        let base = b * 4 * hidden + j
                        let i = sigmoid(Double(pre[base])), f = sigmoid(Double(pre[base + hidden]))
                        let g = tanh(Double(pre[base + 2 * hidden])), o = sigmoid(Double(pre[base + 3 * hidden]))
                        (act[base], act[base + hidden], act[base + 2 * hidden], act[base + 3 * hidden]) = (i, f, g, o)
                        let index = b * hidden + j
                        if Self.valid(b, lengths) {
                            c[index] = f * Double(c0[index]) + i * g
                            h[index] = o * tanh(c[index])
                            out[index] = h[index]
                        } else {
                            c[index] = Double(c0[index]); h[index] = Double(h0[index]); out[index] = 0
                        }
                    }
                }
                let label = "\(backend.label) lstm lengths \(lengths != nil)"
                expectClose(try backend.download(gates), act, "\(label) gates")
                expectClose(try backend.download(cNext), c, "\(label) cNext")
                expectClose(try backend.download(hNext), h, "\(label) hNext")
                expectClose(try backend.download(output), out, "\(label) output")

                // Backward from the saved activations.
                let dOut = random.floats(batch * hidden), dh0 = random.floats(batch * hidden), dc0 = random.floats(batch * hidden)
                let dOutput = try backend.upload(dOut, shape: [batch, hidden])
                let dh = try backend.upload(dh0, shape: [batch, hidden]), dc = try backend.upload(dc0, shape: [batch, hidden])
                let dGates = try backend.upload(random.floats(batch * 4 * hidden), shape: [batch, 4 * hidden])
                try backend.lstmCellBackward(gates: gates, cPrev: cPrev, cNext: cNext, dOutput: dOutput, dh: dh, dc: dc,
                                             dGates: dGates, lengths: lengthsTensor, t: t)
                var dGatesExpected = [Double](repeating: 0, count: pre.count)
                var dhExpected = dh0.map(Double.init), dcExpected = dc0.map(Double.init)
                for b in 0..<batch where Self.valid(b, lengths) {
                    for j in 0..<hidden {
                        let base = b * 4 * hidden + j, index = b * hidden + j
                        let (i, f, g, o) = (act[base], act[base + hidden], act[base + 2 * hidden], act[base + 3 * hidden])
                        let tc = tanh(c[index])
                        let dhT = Double(dh0[index]) + Double(dOut[index])
                        let dcT = Double(dc0[index]) + dhT * o * (1 - tc * tc)
                        dGatesExpected[base] = dcT * g * i * (1 - i)
                        dGatesExpected[base + hidden] = dcT * Double(c0[index]) * f * (1 - f)
                        dGatesExpected[base + 2 * hidden] = dcT * i * (1 - g * g)
                        dGatesExpected[base + 3 * hidden] = dhT * tc * o * (1 - o)
                        dhExpected[index] = 0
                        dcExpected[index] = dcT * f
                    }
                }
                expectClose(try backend.download(dGates), dGatesExpected, "\(label) dGates")
                expectClose(try backend.download(dh), dhExpected, "\(label) dh")
                expectClose(try backend.download(dc), dcExpected, "\(label) dc")
            }
        }
    }

    /// Hidden 5 runs the scalar kernels, 16 the float8 ones.
    @Test(arguments: [5, 16]) func gruCellForwardAndBackward(hidden: Int) throws {
        let (batch, t) = (Self.batch, Self.t)
        try forEachBackend { backend in
            for lengths in [Self.lengths, nil] {
                var random = SeededGenerator(seed: 5)
                let gx = random.floats(batch * 3 * hidden, in: -2...2), gh = random.floats(batch * 3 * hidden, in: -2...2)
                let h0 = random.floats(batch * hidden)
                let lengthsTensor = try lengths.map { try backend.upload($0, shape: [batch]) }
                let inputGates = try backend.upload(gx, shape: [batch, 3 * hidden])
                let hiddenGates = try backend.upload(gh, shape: [batch, 3 * hidden])
                let hPrev = try backend.upload(h0, shape: [batch, hidden])
                let hNext = try backend.zeros([batch, hidden], dtype: .float32), output = try backend.zeros([batch, hidden], dtype: .float32)
                try backend.gruCellForward(inputGates: inputGates, hiddenGates: hiddenGates, hPrev: hPrev, hNext: hNext,
                                           output: output, lengths: lengthsTensor, t: t)
                var act = [Double](repeating: 0, count: gx.count)
                var h = [Double](repeating: 0, count: batch * hidden), out = h
                for b in 0..<batch {
                    for j in 0..<hidden {
                        let base = b * 3 * hidden + j, index = b * hidden + j
                        let r = sigmoid(Double(gx[base]) + Double(gh[base]))
                        let z = sigmoid(Double(gx[base + hidden]) + Double(gh[base + hidden]))
                        let n = tanh(Double(gx[base + 2 * hidden]) + r * Double(gh[base + 2 * hidden]))
                        (act[base], act[base + hidden], act[base + 2 * hidden]) = (r, z, n)
                        if Self.valid(b, lengths) {
                            h[index] = (1 - z) * n + z * Double(h0[index]); out[index] = h[index]
                        } else {
                            h[index] = Double(h0[index]); out[index] = 0
                        }
                    }
                }
                let label = "\(backend.label) gru lengths \(lengths != nil)"
                expectClose(try backend.download(inputGates), act, "\(label) gates")
                expectClose(try backend.download(hNext), h, "\(label) hNext")
                expectClose(try backend.download(output), out, "\(label) output")

                let dOut = random.floats(batch * hidden), dh0 = random.floats(batch * hidden)
                let dOutput = try backend.upload(dOut, shape: [batch, hidden]), dh = try backend.upload(dh0, shape: [batch, hidden])
                let dInputGates = try backend.upload(random.floats(gx.count), shape: [batch, 3 * hidden])
                let dHiddenGates = try backend.upload(random.floats(gx.count), shape: [batch, 3 * hidden])
                try backend.gruCellBackward(inputGates: inputGates, hiddenGates: hiddenGates, hPrev: hPrev, dOutput: dOutput, dh: dh,
                                            dInputGates: dInputGates, dHiddenGates: dHiddenGates, lengths: lengthsTensor, t: t)
                var dx = [Double](repeating: 0, count: gx.count), dhh = dx, dhExpected = dh0.map(Double.init)
                for b in 0..<batch where Self.valid(b, lengths) {
                    for j in 0..<hidden {
                        let base = b * 3 * hidden + j, index = b * hidden + j
                        let (r, z, n) = (act[base], act[base + hidden], act[base + 2 * hidden])
                        let dhT = Double(dh0[index]) + Double(dOut[index])
                        let dn = dhT * (1 - z) * (1 - n * n)
                        let dz = dhT * (Double(h0[index]) - n) * z * (1 - z)
                        let dr = dn * Double(gh[base + 2 * hidden]) * r * (1 - r)
                        (dx[base], dx[base + hidden], dx[base + 2 * hidden]) = (dr, dz, dn)
                        (dhh[base], dhh[base + hidden], dhh[base + 2 * hidden]) = (dr, dz, dn * r)
                        dhExpected[index] = dhT * z
                    }
                }
                expectClose(try backend.download(dInputGates), dx, "\(label) dInputGates")
                expectClose(try backend.download(dHiddenGates), dhh, "\(label) dHiddenGates")
                expectClose(try backend.download(dh), dhExpected, "\(label) dh")
            }
        }
    }

    @Test func rnnCellForwardAndBackward() throws {
        let (batch, hidden, t) = (Self.batch, Self.hidden, Self.t)
        try forEachBackend { backend in
            for lengths in [Self.lengths, nil] {
                var random = SeededGenerator(seed: 6)
                let pre = random.floats(batch * hidden, in: -2...2), h0 = random.floats(batch * hidden)
                let lengthsTensor = try lengths.map { try backend.upload($0, shape: [batch]) }
                let preactivation = try backend.upload(pre, shape: [batch, hidden]), hPrev = try backend.upload(h0, shape: [batch, hidden])
                let hNext = try backend.zeros([batch, hidden], dtype: .float32), output = try backend.zeros([batch, hidden], dtype: .float32)
                try backend.rnnCellForward(preactivation: preactivation, hPrev: hPrev, hNext: hNext, output: output,
                                           lengths: lengthsTensor, t: t)
                let a = pre.map { tanh(Double($0)) }
                let valid = (0..<(batch * hidden)).map { Self.valid($0 / hidden, lengths) }
                let label = "\(backend.label) rnn lengths \(lengths != nil)"
                expectClose(try backend.download(preactivation), a, "\(label) activation")
                expectClose(try backend.download(hNext), a.indices.map { valid[$0] ? a[$0] : Double(h0[$0]) }, "\(label) hNext")
                expectClose(try backend.download(output), a.indices.map { valid[$0] ? a[$0] : 0 }, "\(label) output")

                let dOut = random.floats(batch * hidden), dh0 = random.floats(batch * hidden)
                let dOutput = try backend.upload(dOut, shape: [batch, hidden]), dh = try backend.upload(dh0, shape: [batch, hidden])
                let dPre = try backend.upload(random.floats(batch * hidden), shape: [batch, hidden])
                try backend.rnnCellBackward(activation: preactivation, dOutput: dOutput, dh: dh, dPreactivation: dPre,
                                            lengths: lengthsTensor, t: t)
                expectClose(try backend.download(dPre), a.indices.map {
                    valid[$0] ? (Double(dh0[$0]) + Double(dOut[$0])) * (1 - a[$0] * a[$0]) : 0
                }, "\(label) dPreactivation")
                expectClose(try backend.download(dh), a.indices.map { valid[$0] ? 0 : Double(dh0[$0]) }, "\(label) dh")
            }
        }
    }
}
