// Fused recurrent cell steps (LSTM, GRU, Elman RNN), forward and backward, for one time step of a batch.
// Each row b is valid at step t when t < lengths[b]; invalid rows carry their state and produce zero
// outputs and gradients (see Backend.swift for the exact contract). Work is split by rows across threads
// (the fused forward step, CPURecurrentStep.swift, splits by blocks of units instead) and vectorized 16 units
// at a time within a row.

private typealias V = FloatVector

extension CPUBackend {
    // MARK: LSTM

    public func lstmCellForward(
        gates: Tensor, cPrev: Tensor, hPrev: Tensor, cNext: Tensor, hNext: Tensor, output: Tensor,
        lengths: Tensor?, t: Int
    ) throws {
        let cell = try lstmCell(gates: gates, cPrev: cPrev, hPrev: hPrev, cNext: cNext, hNext: hNext,
                                output: output, lengths: lengths, t: t)
        rowLoop(rows: cell.batch, workPerRow: 16 * cell.hidden) { rows in cell.run(rows: rows, units: 0..<cell.hidden) }
    }

    /// The checked operands of an LSTM cell step.
    func lstmCell(gates: Tensor, cPrev: Tensor, hPrev: Tensor, cNext: Tensor, hNext: Tensor, output: Tensor,
                  lengths: Tensor?, t: Int) throws -> LSTMCellStep {
        let batch = hPrev.rows, hidden = hPrev.columns
        try requireMatrix(gates, rows: batch, columns: 4 * hidden, "lstmCellForward gates")
        for (tensor, role) in [(cPrev, "cPrev"), (cNext, "cNext"), (hNext, "hNext"), (output, "output")] {
            try requireMatrix(tensor, rows: batch, columns: hidden, "lstmCellForward \(role)")
        }
        return LSTMCellStep(
            gates: try floats(gates, "gates"), cPrev: try floats(cPrev, "cPrev"), hPrev: try floats(hPrev, "hPrev"),
            cNext: try floats(cNext, "cNext"), hNext: try floats(hNext, "hNext"), output: try floats(output, "output"),
            lengths: try lengthElements(lengths, batch: batch, "lstmCellForward"), batch: batch, hidden: hidden, t: t)
    }

    public func lstmCellBackward(
        gates: Tensor, cPrev: Tensor, cNext: Tensor, dOutput: Tensor, dh: Tensor, dc: Tensor, dGates: Tensor,
        lengths: Tensor?, t: Int
    ) throws {
        let batch = dh.rows, hidden = dh.columns
        try requireMatrix(gates, rows: batch, columns: 4 * hidden, "lstmCellBackward gates")
        try requireMatrix(dGates, rows: batch, columns: 4 * hidden, "lstmCellBackward dGates")
        for (tensor, role) in [(cPrev, "cPrev"), (cNext, "cNext"), (dOutput, "dOutput"), (dc, "dc")] {
            try requireMatrix(tensor, rows: batch, columns: hidden, "lstmCellBackward \(role)")
        }
        let g = try floats(gates, "gates"), cp = try floats(cPrev, "cPrev"), cn = try floats(cNext, "cNext")
        let dOut = try floats(dOutput, "dOutput"), dH = try floats(dh, "dh"), dC = try floats(dc, "dc")
        let dG = try floats(dGates, "dGates")
        let lengths = try lengthElements(lengths, batch: batch, "lstmCellBackward")

        rowLoop(rows: batch, workPerRow: 8 * hidden) { rows in
            for b in rows {
                let dgi = dG + b * 4 * hidden
                guard lengths.map({ t < Int($0[b]) }) ?? true else {
                    // Not valid: no gate gradient; dh and dc pass through unchanged.
                    dgi.update(repeating: 0, count: 4 * hidden)
                    continue
                }
                let gi = g + b * 4 * hidden, gf = gi + hidden, gg = gf + hidden, go = gg + hidden
                let dgf = dgi + hidden, dgg = dgf + hidden, dgo = dgg + hidden
                let row = b * hidden
                var u = 0
                while u < hidden {
                    let w = min(16, hidden - u)
                    let at = row + u
                    let i = VectorMath.load(gi + u, count: w), f = VectorMath.load(gf + u, count: w)
                    let c = VectorMath.load(gg + u, count: w), o = VectorMath.load(go + u, count: w)
                    let tanhCell = VectorMath.tanh(VectorMath.load(cn + at, count: w))
                    let dhTotal = VectorMath.load(dH + at, count: w) + VectorMath.load(dOut + at, count: w)
                    let dcTotal = VectorMath.load(dC + at, count: w) + dhTotal * o * (1 - tanhCell * tanhCell)
                    VectorMath.store(dcTotal * c * i * (1 - i), dgi + u, count: w)
                    VectorMath.store(dcTotal * VectorMath.load(cp + at, count: w) * f * (1 - f), dgf + u, count: w)
                    VectorMath.store(dcTotal * i * (1 - c * c), dgg + u, count: w)
                    VectorMath.store(dhTotal * tanhCell * o * (1 - o), dgo + u, count: w)
                    VectorMath.store(dcTotal * f, dC + at, count: w)
                    VectorMath.store(V(), dH + at, count: w)
                    u += 16
                }
            }
        }
    }

    // MARK: GRU

    public func gruCellForward(
        inputGates: Tensor, hiddenGates: Tensor, hPrev: Tensor, hNext: Tensor, output: Tensor,
        lengths: Tensor?, t: Int
    ) throws {
        let cell = try gruCell(inputGates: inputGates, hiddenGates: hiddenGates, hPrev: hPrev, hNext: hNext,
                               output: output, lengths: lengths, t: t)
        rowLoop(rows: cell.batch, workPerRow: 12 * cell.hidden) { rows in cell.run(rows: rows, units: 0..<cell.hidden) }
    }

    /// The checked operands of a GRU cell step.
    func gruCell(inputGates: Tensor, hiddenGates: Tensor, hPrev: Tensor, hNext: Tensor, output: Tensor,
                 lengths: Tensor?, t: Int) throws -> GRUCellStep {
        let batch = hPrev.rows, hidden = hPrev.columns
        try requireMatrix(inputGates, rows: batch, columns: 3 * hidden, "gruCellForward inputGates")
        try requireMatrix(hiddenGates, rows: batch, columns: 3 * hidden, "gruCellForward hiddenGates")
        try requireMatrix(hNext, rows: batch, columns: hidden, "gruCellForward hNext")
        try requireMatrix(output, rows: batch, columns: hidden, "gruCellForward output")
        return GRUCellStep(
            inputGates: try floats(inputGates, "inputGates"), hiddenGates: try floats(hiddenGates, "hiddenGates"),
            hPrev: try floats(hPrev, "hPrev"), hNext: try floats(hNext, "hNext"), output: try floats(output, "output"),
            lengths: try lengthElements(lengths, batch: batch, "gruCellForward"), batch: batch, hidden: hidden, t: t)
    }

    public func gruCellBackward(
        inputGates: Tensor, hiddenGates: Tensor, hPrev: Tensor, dOutput: Tensor, dh: Tensor,
        dInputGates: Tensor, dHiddenGates: Tensor, lengths: Tensor?, t: Int
    ) throws {
        let batch = dh.rows, hidden = dh.columns
        for (tensor, role) in [(inputGates, "inputGates"), (hiddenGates, "hiddenGates"),
                               (dInputGates, "dInputGates"), (dHiddenGates, "dHiddenGates")] {
            try requireMatrix(tensor, rows: batch, columns: 3 * hidden, "gruCellBackward \(role)")
        }
        try requireMatrix(hPrev, rows: batch, columns: hidden, "gruCellBackward hPrev")
        try requireMatrix(dOutput, rows: batch, columns: hidden, "gruCellBackward dOutput")
        let gx = try floats(inputGates, "inputGates"), gh = try floats(hiddenGates, "hiddenGates")
        let hp = try floats(hPrev, "hPrev"), dOut = try floats(dOutput, "dOutput"), dH = try floats(dh, "dh")
        let dX = try floats(dInputGates, "dInputGates"), dHG = try floats(dHiddenGates, "dHiddenGates")
        let lengths = try lengthElements(lengths, batch: batch, "gruCellBackward")

        rowLoop(rows: batch, workPerRow: 8 * hidden) { rows in
            for b in rows {
                let dxr = dX + b * 3 * hidden, dxz = dxr + hidden, dxn = dxz + hidden
                let dhr = dHG + b * 3 * hidden, dhz = dhr + hidden, dhn = dhz + hidden
                guard lengths.map({ t < Int($0[b]) }) ?? true else {
                    dxr.update(repeating: 0, count: 3 * hidden)
                    dhr.update(repeating: 0, count: 3 * hidden)
                    continue
                }
                let r0 = gx + b * 3 * hidden, z0 = r0 + hidden, n0 = z0 + hidden
                let hnGate = gh + b * 3 * hidden + 2 * hidden
                let row = b * hidden
                var u = 0
                while u < hidden {
                    let w = min(16, hidden - u)
                    let at = row + u
                    let r = VectorMath.load(r0 + u, count: w), z = VectorMath.load(z0 + u, count: w)
                    let n = VectorMath.load(n0 + u, count: w)
                    let dhTotal = VectorMath.load(dH + at, count: w) + VectorMath.load(dOut + at, count: w)
                    let dnPre = dhTotal * (1 - z) * (1 - n * n)
                    let dzPre = dhTotal * (VectorMath.load(hp + at, count: w) - n) * z * (1 - z)
                    let drPre = dnPre * VectorMath.load(hnGate + u, count: w) * r * (1 - r)
                    VectorMath.store(drPre, dxr + u, count: w)
                    VectorMath.store(dzPre, dxz + u, count: w)
                    VectorMath.store(dnPre, dxn + u, count: w)
                    VectorMath.store(drPre, dhr + u, count: w)
                    VectorMath.store(dzPre, dhz + u, count: w)
                    VectorMath.store(dnPre * r, dhn + u, count: w)
                    VectorMath.store(dhTotal * z, dH + at, count: w)
                    u += 16
                }
            }
        }
    }

    // MARK: Elman RNN (tanh)

    public func rnnCellForward(preactivation: Tensor, hPrev: Tensor, hNext: Tensor, output: Tensor, lengths: Tensor?, t: Int) throws {
        let cell = try rnnCell(preactivation: preactivation, hPrev: hPrev, hNext: hNext, output: output, lengths: lengths, t: t)
        rowLoop(rows: cell.batch, workPerRow: 4 * cell.hidden) { rows in cell.run(rows: rows, units: 0..<cell.hidden) }
    }

    /// The checked operands of an Elman RNN cell step.
    func rnnCell(preactivation: Tensor, hPrev: Tensor, hNext: Tensor, output: Tensor, lengths: Tensor?, t: Int) throws -> RNNCellStep {
        let batch = hPrev.rows, hidden = hPrev.columns
        for (tensor, role) in [(preactivation, "preactivation"), (hNext, "hNext"), (output, "output")] {
            try requireMatrix(tensor, rows: batch, columns: hidden, "rnnCellForward \(role)")
        }
        return RNNCellStep(
            preactivation: try floats(preactivation, "preactivation"), hPrev: try floats(hPrev, "hPrev"),
            hNext: try floats(hNext, "hNext"), output: try floats(output, "output"),
            lengths: try lengthElements(lengths, batch: batch, "rnnCellForward"), batch: batch, hidden: hidden, t: t)
    }

    public func rnnCellBackward(activation: Tensor, dOutput: Tensor, dh: Tensor, dPreactivation: Tensor, lengths: Tensor?, t: Int) throws {
        let batch = dh.rows, hidden = dh.columns
        for (tensor, role) in [(activation, "activation"), (dOutput, "dOutput"), (dPreactivation, "dPreactivation")] {
            try requireMatrix(tensor, rows: batch, columns: hidden, "rnnCellBackward \(role)")
        }
        let a = try floats(activation, "activation"), dOut = try floats(dOutput, "dOutput")
        let dH = try floats(dh, "dh"), dPre = try floats(dPreactivation, "dPreactivation")
        let lengths = try lengthElements(lengths, batch: batch, "rnnCellBackward")

        rowLoop(rows: batch, workPerRow: 2 * hidden) { rows in
            for b in rows {
                guard lengths.map({ t < Int($0[b]) }) ?? true else {
                    (dPre + b * hidden).update(repeating: 0, count: hidden)
                    continue
                }
                var u = 0
                while u < hidden {
                    let w = min(16, hidden - u)
                    let at = b * hidden + u
                    let h = VectorMath.load(a + at, count: w)
                    let dhTotal = VectorMath.load(dH + at, count: w) + VectorMath.load(dOut + at, count: w)
                    VectorMath.store(dhTotal * (1 - h * h), dPre + at, count: w)
                    VectorMath.store(V(), dH + at, count: w)
                    u += 16
                }
            }
        }
    }
}

// MARK: Forward cells on a block of rows and units

/// What the fused recurrent step (`CPURecurrentStep.swift`) and the plain cell ops share: a cell step over
/// rows `rows` and units `units` of a batch (units in 16-wide vectors).
protocol CPUCellStep {
    var batch: Int { get }
    var hidden: Int { get }
    /// The state entering the step `[batch, hidden]`: the recurrent product's A.
    var hPrev: UnsafeMutablePointer<Float> { get }
    func run(rows: Range<Int>, units: Range<Int>)
}

/// LSTM: gates (i, f, g, o) to activations in place, then c' = f·c + i·g and h' = o·tanh(c').
struct LSTMCellStep: CPUCellStep {
    let gates: UnsafeMutablePointer<Float>, cPrev: UnsafeMutablePointer<Float>, hPrev: UnsafeMutablePointer<Float>
    let cNext: UnsafeMutablePointer<Float>, hNext: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>
    let lengths: Int32Elements?
    let batch: Int, hidden: Int, t: Int

    func run(rows: Range<Int>, units: Range<Int>) {
        for b in rows {
            let valid = lengths.map { t < Int($0[b]) } ?? true
            let gi = gates + b * 4 * hidden, gf = gi + hidden, gg = gf + hidden, go = gg + hidden
            let row = b * hidden
            var u = units.lowerBound
            while u < units.upperBound {
                let w = min(16, units.upperBound - u)
                // Each activation is stored as soon as it is made and used right away: computed all four
                // first, 16-lane vectors on AVX2 (two registers each) spill to the stack.
                let i = VectorMath.sigmoid(VectorMath.load(gi + u, count: w))
                VectorMath.store(i, gi + u, count: w)
                let g = VectorMath.tanh(VectorMath.load(gg + u, count: w))
                VectorMath.store(g, gg + u, count: w)
                let ig = i * g
                let f = VectorMath.sigmoid(VectorMath.load(gf + u, count: w))
                VectorMath.store(f, gf + u, count: w)
                let at = row + u
                let cPrevious = VectorMath.load(cPrev + at, count: w)
                let cell = valid ? ig.addingProduct(f, cPrevious) : cPrevious
                VectorMath.store(cell, cNext + at, count: w)
                let o = VectorMath.sigmoid(VectorMath.load(go + u, count: w))
                VectorMath.store(o, go + u, count: w)
                if valid {
                    let h = o * VectorMath.tanh(cell)
                    VectorMath.store(h, hNext + at, count: w)
                    VectorMath.store(h, output + at, count: w)
                } else {
                    VectorMath.store(VectorMath.load(hPrev + at, count: w), hNext + at, count: w)
                    VectorMath.store(V(), output + at, count: w)
                }
                u += 16
            }
        }
    }
}

/// GRU: r, z, n from the input and hidden gates (the input gates become the activations), then
/// h' = (1 − z)·n + z·h.
struct GRUCellStep: CPUCellStep {
    let inputGates: UnsafeMutablePointer<Float>, hiddenGates: UnsafeMutablePointer<Float>
    let hPrev: UnsafeMutablePointer<Float>, hNext: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>
    let lengths: Int32Elements?
    let batch: Int, hidden: Int, t: Int

    func run(rows: Range<Int>, units: Range<Int>) {
        for b in rows {
            let valid = lengths.map { t < Int($0[b]) } ?? true
            let xr = inputGates + b * 3 * hidden, xz = xr + hidden, xn = xz + hidden
            let hr = hiddenGates + b * 3 * hidden, hz = hr + hidden, hnGate = hz + hidden
            let row = b * hidden
            var u = units.lowerBound
            while u < units.upperBound {
                let w = min(16, units.upperBound - u)
                let r = VectorMath.sigmoid(VectorMath.load(xr + u, count: w) + VectorMath.load(hr + u, count: w))
                let z = VectorMath.sigmoid(VectorMath.load(xz + u, count: w) + VectorMath.load(hz + u, count: w))
                let n = VectorMath.tanh(VectorMath.load(xn + u, count: w).addingProduct(r, VectorMath.load(hnGate + u, count: w)))
                VectorMath.store(r, xr + u, count: w)
                VectorMath.store(z, xz + u, count: w)
                VectorMath.store(n, xn + u, count: w)
                let at = row + u
                let previous = VectorMath.load(hPrev + at, count: w)
                if valid {
                    // (1 − z)·n + z·h = n + z·(h − n)
                    let h = n.addingProduct(z, previous - n)
                    VectorMath.store(h, hNext + at, count: w)
                    VectorMath.store(h, output + at, count: w)
                } else {
                    VectorMath.store(previous, hNext + at, count: w)
                    VectorMath.store(V(), output + at, count: w)
                }
                u += 16
            }
        }
    }
}

/// Elman RNN: h' = tanh(preactivation), written back into the preactivation for backward.
struct RNNCellStep: CPUCellStep {
    let preactivation: UnsafeMutablePointer<Float>, hPrev: UnsafeMutablePointer<Float>
    let hNext: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>
    let lengths: Int32Elements?
    let batch: Int, hidden: Int, t: Int

    func run(rows: Range<Int>, units: Range<Int>) {
        for b in rows {
            let valid = lengths.map { t < Int($0[b]) } ?? true
            var u = units.lowerBound
            while u < units.upperBound {
                let w = min(16, units.upperBound - u)
                let at = b * hidden + u
                let h = VectorMath.tanh(VectorMath.load(preactivation + at, count: w))
                VectorMath.store(h, preactivation + at, count: w)
                VectorMath.store(valid ? h : VectorMath.load(hPrev + at, count: w), hNext + at, count: w)
                VectorMath.store(valid ? h : V(), output + at, count: w)
                u += 16
            }
        }
    }
}
