import Foundation
import Testing
@testable import RecurCore

// Each cell is checked against an independent Double reference of its contract: the forward outputs
// directly, the backward outputs against central finite differences of the scalar loss
// L = Σ G_out·output + Σ G_h·hNext (+ Σ G_c·cNext), whose incoming gradients are dOutput = G_out,
// dh = G_h, dc = G_c. Row 1 is past its length at step t, so the masked path is checked too.

private let batch = 3, hidden = 19, step = 2
private let lengthValues: [Int32] = [5, 2, 3]  // row 1 is not valid at t = 2

private func isValid(_ b: Int) -> Bool { step < Int(lengthValues[b]) }

// MARK: LSTM

/// (output, hNext, cNext) of one LSTM step in Double.
private func lstmReference(gates: [Double], cPrev: [Double], hPrev: [Double]) -> (out: [Double], h: [Double], c: [Double]) {
    var out = [Double](repeating: 0, count: batch * hidden), h = out, c = out
    for b in 0..<batch {
        for u in 0..<hidden {
            let at = b * hidden + u, g = b * 4 * hidden + u
            let i = sigmoid(gates[g]), f = sigmoid(gates[g + hidden])
            let candidate = tanh(gates[g + 2 * hidden]), o = sigmoid(gates[g + 3 * hidden])
            if isValid(b) {
                c[at] = f * cPrev[at] + i * candidate
                h[at] = o * tanh(c[at])
                out[at] = h[at]
            } else {
                c[at] = cPrev[at]
                h[at] = hPrev[at]
            }
        }
    }
    return (out, h, c)
}

@Test func lstmCellForwardAndBackwardMatchReference() throws {
    let backend = CPUBackend()
    var random = SeededRandom(21)
    let gates = random.floats(batch * 4 * hidden, -2, 2)
    let cPrev = random.floats(batch * hidden), hPrev = random.floats(batch * hidden)
    let gOut = random.floats(batch * hidden), gH = random.floats(batch * hidden), gC = random.floats(batch * hidden)

    let gatesT = try backend.upload(gates, shape: [batch, 4 * hidden])
    let cPrevT = try backend.upload(cPrev, shape: [batch, hidden]), hPrevT = try backend.upload(hPrev, shape: [batch, hidden])
    let cNextT = try backend.zeros([batch, hidden], dtype: .float32), hNextT = try backend.zeros([batch, hidden], dtype: .float32)
    let outputT = try backend.upload([Float](repeating: 9, count: batch * hidden), shape: [batch, hidden])
    let lengths = try backend.upload(lengthValues, shape: [batch])
    try backend.lstmCellForward(gates: gatesT, cPrev: cPrevT, hPrev: hPrevT, cNext: cNextT, hNext: hNextT,
                                output: outputT, lengths: lengths, t: step)

    let reference = lstmReference(gates: gates.doubles, cPrev: cPrev.doubles, hPrev: hPrev.doubles)
    #expect(maxScaledError(try backend.download(outputT), reference.out) < 1e-6)
    #expect(maxScaledError(try backend.download(hNextT), reference.h) < 1e-6)
    #expect(maxScaledError(try backend.download(cNextT), reference.c) < 1e-6)
    let activations = try backend.download(gatesT)
    let expectedActivations = gates.enumerated().map { index, x -> Double in
        (index % (4 * hidden)) / hidden == 2 ? tanh(Double(x)) : sigmoid(Double(x))
    }
    #expect(maxScaledError(activations, expectedActivations) < 1e-6)

    let dOutputT = try backend.upload(gOut, shape: [batch, hidden])
    let dhT = try backend.upload(gH, shape: [batch, hidden]), dcT = try backend.upload(gC, shape: [batch, hidden])
    let dGatesT = try backend.upload([Float](repeating: 9, count: batch * 4 * hidden), shape: [batch, 4 * hidden])
    try backend.lstmCellBackward(gates: gatesT, cPrev: cPrevT, cNext: cNextT, dOutput: dOutputT, dh: dhT, dc: dcT,
                                 dGates: dGatesT, lengths: lengths, t: step)

    func loss(gates: [Double], cPrev: [Double], hPrev: [Double]) -> Double {
        let r = lstmReference(gates: gates, cPrev: cPrev, hPrev: hPrev)
        return dot(r.out, gOut) + dot(r.h, gH) + dot(r.c, gC)
    }
    let dGates = numericalGradient(of: { loss(gates: $0, cPrev: cPrev.doubles, hPrev: hPrev.doubles) }, at: gates.doubles)
    let dcPrev = numericalGradient(of: { loss(gates: gates.doubles, cPrev: $0, hPrev: hPrev.doubles) }, at: cPrev.doubles)
    let dhPrev = numericalGradient(of: { loss(gates: gates.doubles, cPrev: cPrev.doubles, hPrev: $0) }, at: hPrev.doubles)
    #expect(maxScaledError(try backend.download(dGatesT), dGates) < 1e-5)
    #expect(maxScaledError(try backend.download(dcT), dcPrev) < 1e-5)
    #expect(maxScaledError(try backend.download(dhT), dhPrev) < 1e-5)
}

// MARK: GRU

/// (output, hNext) of one GRU step in Double.
private func gruReference(inputGates: [Double], hiddenGates: [Double], hPrev: [Double]) -> (out: [Double], h: [Double]) {
    var out = [Double](repeating: 0, count: batch * hidden), h = out
    for b in 0..<batch {
        for u in 0..<hidden {
            let at = b * hidden + u, g = b * 3 * hidden + u
            let r = sigmoid(inputGates[g] + hiddenGates[g])
            let z = sigmoid(inputGates[g + hidden] + hiddenGates[g + hidden])
            let n = tanh(inputGates[g + 2 * hidden] + r * hiddenGates[g + 2 * hidden])
            if isValid(b) {
                h[at] = (1 - z) * n + z * hPrev[at]
                out[at] = h[at]
            } else {
                h[at] = hPrev[at]
            }
        }
    }
    return (out, h)
}

@Test func gruCellForwardAndBackwardMatchReference() throws {
    let backend = CPUBackend()
    var random = SeededRandom(22)
    let inputGates = random.floats(batch * 3 * hidden, -2, 2), hiddenGates = random.floats(batch * 3 * hidden, -2, 2)
    let hPrev = random.floats(batch * hidden)
    let gOut = random.floats(batch * hidden), gH = random.floats(batch * hidden)

    let inputT = try backend.upload(inputGates, shape: [batch, 3 * hidden])
    let hiddenT = try backend.upload(hiddenGates, shape: [batch, 3 * hidden])
    let hPrevT = try backend.upload(hPrev, shape: [batch, hidden])
    let hNextT = try backend.zeros([batch, hidden], dtype: .float32)
    let outputT = try backend.upload([Float](repeating: 9, count: batch * hidden), shape: [batch, hidden])
    let lengths = try backend.upload(lengthValues, shape: [batch])
    try backend.gruCellForward(inputGates: inputT, hiddenGates: hiddenT, hPrev: hPrevT, hNext: hNextT, output: outputT,
                               lengths: lengths, t: step)
    let reference = gruReference(inputGates: inputGates.doubles, hiddenGates: hiddenGates.doubles, hPrev: hPrev.doubles)
    #expect(maxScaledError(try backend.download(outputT), reference.out) < 1e-6)
    #expect(maxScaledError(try backend.download(hNextT), reference.h) < 1e-6)

    let dOutputT = try backend.upload(gOut, shape: [batch, hidden]), dhT = try backend.upload(gH, shape: [batch, hidden])
    let dInputT = try backend.upload([Float](repeating: 9, count: batch * 3 * hidden), shape: [batch, 3 * hidden])
    let dHiddenT = try backend.upload([Float](repeating: 9, count: batch * 3 * hidden), shape: [batch, 3 * hidden])
    try backend.gruCellBackward(inputGates: inputT, hiddenGates: hiddenT, hPrev: hPrevT, dOutput: dOutputT, dh: dhT,
                                dInputGates: dInputT, dHiddenGates: dHiddenT, lengths: lengths, t: step)

    func loss(_ x: [Double], _ h: [Double], _ previous: [Double]) -> Double {
        let r = gruReference(inputGates: x, hiddenGates: h, hPrev: previous)
        return dot(r.out, gOut) + dot(r.h, gH)
    }
    let dInput = numericalGradient(of: { loss($0, hiddenGates.doubles, hPrev.doubles) }, at: inputGates.doubles)
    let dHidden = numericalGradient(of: { loss(inputGates.doubles, $0, hPrev.doubles) }, at: hiddenGates.doubles)
    let dhPrev = numericalGradient(of: { loss(inputGates.doubles, hiddenGates.doubles, $0) }, at: hPrev.doubles)
    #expect(maxScaledError(try backend.download(dInputT), dInput) < 1e-5)
    #expect(maxScaledError(try backend.download(dHiddenT), dHidden) < 1e-5)
    #expect(maxScaledError(try backend.download(dhT), dhPrev) < 1e-5)
}

// MARK: Elman RNN

private func rnnReference(preactivation: [Double], hPrev: [Double]) -> (out: [Double], h: [Double]) {
    var out = [Double](repeating: 0, count: batch * hidden), h = out
    for b in 0..<batch {
        for u in 0..<hidden {
            let at = b * hidden + u
            h[at] = isValid(b) ? tanh(preactivation[at]) : hPrev[at]
            out[at] = isValid(b) ? h[at] : 0
        }
    }
    return (out, h)
}

@Test func rnnCellForwardAndBackwardMatchReference() throws {
    let backend = CPUBackend()
    var random = SeededRandom(23)
    let pre = random.floats(batch * hidden, -3, 3), hPrev = random.floats(batch * hidden)
    let gOut = random.floats(batch * hidden), gH = random.floats(batch * hidden)
    let preT = try backend.upload(pre, shape: [batch, hidden]), hPrevT = try backend.upload(hPrev, shape: [batch, hidden])
    let hNextT = try backend.zeros([batch, hidden], dtype: .float32), outputT = try backend.zeros([batch, hidden], dtype: .float32)
    let lengths = try backend.upload(lengthValues, shape: [batch])
    try backend.rnnCellForward(preactivation: preT, hPrev: hPrevT, hNext: hNextT, output: outputT, lengths: lengths, t: step)
    let reference = rnnReference(preactivation: pre.doubles, hPrev: hPrev.doubles)
    #expect(maxScaledError(try backend.download(outputT), reference.out) < 1e-6)
    #expect(maxScaledError(try backend.download(hNextT), reference.h) < 1e-6)
    #expect(maxScaledError(try backend.download(preT), pre.map { tanh(Double($0)) }) < 1e-6)

    let dOutputT = try backend.upload(gOut, shape: [batch, hidden]), dhT = try backend.upload(gH, shape: [batch, hidden])
    let dPreT = try backend.upload([Float](repeating: 9, count: batch * hidden), shape: [batch, hidden])
    try backend.rnnCellBackward(activation: preT, dOutput: dOutputT, dh: dhT, dPreactivation: dPreT, lengths: lengths, t: step)
    func loss(_ x: [Double], _ previous: [Double]) -> Double {
        let r = rnnReference(preactivation: x, hPrev: previous)
        return dot(r.out, gOut) + dot(r.h, gH)
    }
    #expect(maxScaledError(try backend.download(dPreT), numericalGradient(of: { loss($0, hPrev.doubles) }, at: pre.doubles)) < 1e-5)
    #expect(maxScaledError(try backend.download(dhT), numericalGradient(of: { loss(pre.doubles, $0) }, at: hPrev.doubles)) < 1e-5)
}

/// Without lengths every row is valid; a wrong batch in `lengths` or gate width is an error, not a trap.
@Test func cellsWithoutLengthsAndBadShapes() throws {
    let backend = CPUBackend()
    var random = SeededRandom(24)
    let pre = random.floats(2 * 5)
    let preT = try backend.upload(pre, shape: [2, 5]), hPrevT = try backend.zeros([2, 5], dtype: .float32)
    let hNextT = try backend.zeros([2, 5], dtype: .float32), outputT = try backend.zeros([2, 5], dtype: .float32)
    try backend.rnnCellForward(preactivation: preT, hPrev: hPrevT, hNext: hNextT, output: outputT, lengths: nil, t: 100)
    #expect(maxScaledError(try backend.download(outputT), pre.map { tanh(Double($0)) }) < 1e-6)

    let badLengths = try backend.upload([Int32(1)], shape: [1])
    #expect(throws: BackendError.self) {
        try backend.rnnCellForward(preactivation: preT, hPrev: hPrevT, hNext: hNextT, output: outputT, lengths: badLengths, t: 0)
    }
    #expect(throws: BackendError.self) {
        try backend.lstmCellForward(gates: preT, cPrev: hPrevT, hPrev: hPrevT, cNext: hNextT, hNext: hNextT,
                                    output: outputT, lengths: nil, t: 0)
    }
}
