// Fused recurrent cell steps (LSTM, GRU, Elman RNN), forward and backward, for one time step of a batch.
// Each row b is valid at step t when t < lengths[b]; invalid rows carry their state and produce zero
// outputs and gradients (see Backend.swift for the exact contract). Work is split by rows across threads
// and vectorized 16 units at a time within a row.

private typealias V = FloatVector

extension CPUBackend {
    // MARK: LSTM

    public func lstmCellForward(
        gates: Tensor, cPrev: Tensor, hPrev: Tensor, cNext: Tensor, hNext: Tensor, output: Tensor,
        lengths: Tensor?, t: Int
    ) throws {
        let batch = hPrev.rows, hidden = hPrev.columns
        try requireMatrix(gates, rows: batch, columns: 4 * hidden, "lstmCellForward gates")
        for (tensor, role) in [(cPrev, "cPrev"), (cNext, "cNext"), (hNext, "hNext"), (output, "output")] {
            try requireMatrix(tensor, rows: batch, columns: hidden, "lstmCellForward \(role)")
        }
        let g = try floats(gates, "gates"), cp = try floats(cPrev, "cPrev"), hp = try floats(hPrev, "hPrev")
        let cn = try floats(cNext, "cNext"), hn = try floats(hNext, "hNext"), out = try floats(output, "output")
        let lengths = try lengthElements(lengths, batch: batch, "lstmCellForward")

        rowLoop(rows: batch, workPerRow: 16 * hidden) { rows in
            for b in rows {
                let valid = lengths.map { t < Int($0[b]) } ?? true
                let gi = g + b * 4 * hidden, gf = gi + hidden, gg = gf + hidden, go = gg + hidden
                let row = b * hidden
                var u = 0
                while u < hidden {
                    let w = min(16, hidden - u)
                    let i = VectorMath.sigmoid(VectorMath.load(gi + u, count: w))
                    let f = VectorMath.sigmoid(VectorMath.load(gf + u, count: w))
                    let c = VectorMath.tanh(VectorMath.load(gg + u, count: w))
                    let o = VectorMath.sigmoid(VectorMath.load(go + u, count: w))
                    VectorMath.store(i, gi + u, count: w)
                    VectorMath.store(f, gf + u, count: w)
                    VectorMath.store(c, gg + u, count: w)
                    VectorMath.store(o, go + u, count: w)
                    let at = row + u
                    if valid {
                        let cell = (i * c).addingProduct(f, VectorMath.load(cp + at, count: w))
                        let h = o * VectorMath.tanh(cell)
                        VectorMath.store(cell, cn + at, count: w)
                        VectorMath.store(h, hn + at, count: w)
                        VectorMath.store(h, out + at, count: w)
                    } else {
                        VectorMath.store(VectorMath.load(cp + at, count: w), cn + at, count: w)
                        VectorMath.store(VectorMath.load(hp + at, count: w), hn + at, count: w)
                        VectorMath.store(V(), out + at, count: w)
                    }
                    u += 16
                }
            }
        }
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
        let batch = hPrev.rows, hidden = hPrev.columns
        try requireMatrix(inputGates, rows: batch, columns: 3 * hidden, "gruCellForward inputGates")
        try requireMatrix(hiddenGates, rows: batch, columns: 3 * hidden, "gruCellForward hiddenGates")
        try requireMatrix(hNext, rows: batch, columns: hidden, "gruCellForward hNext")
        try requireMatrix(output, rows: batch, columns: hidden, "gruCellForward output")
        let gx = try floats(inputGates, "inputGates"), gh = try floats(hiddenGates, "hiddenGates")
        let hp = try floats(hPrev, "hPrev"), hn = try floats(hNext, "hNext"), out = try floats(output, "output")
        let lengths = try lengthElements(lengths, batch: batch, "gruCellForward")

        rowLoop(rows: batch, workPerRow: 12 * hidden) { rows in
            for b in rows {
                let valid = lengths.map { t < Int($0[b]) } ?? true
                let xr = gx + b * 3 * hidden, xz = xr + hidden, xn = xz + hidden
                let hr = gh + b * 3 * hidden, hz = hr + hidden, hnGate = hz + hidden
                let row = b * hidden
                var u = 0
                while u < hidden {
                    let w = min(16, hidden - u)
                    let r = VectorMath.sigmoid(VectorMath.load(xr + u, count: w) + VectorMath.load(hr + u, count: w))
                    let z = VectorMath.sigmoid(VectorMath.load(xz + u, count: w) + VectorMath.load(hz + u, count: w))
                    let n = VectorMath.tanh(VectorMath.load(xn + u, count: w).addingProduct(r, VectorMath.load(hnGate + u, count: w)))
                    VectorMath.store(r, xr + u, count: w)
                    VectorMath.store(z, xz + u, count: w)
                    VectorMath.store(n, xn + u, count: w)
                    let at = row + u
                    let previous = VectorMath.load(hp + at, count: w)
                    if valid {
                        // (1 − z)·n + z·h = n + z·(h − n)
                        let h = n.addingProduct(z, previous - n)
                        VectorMath.store(h, hn + at, count: w)
                        VectorMath.store(h, out + at, count: w)
                    } else {
                        VectorMath.store(previous, hn + at, count: w)
                        VectorMath.store(V(), out + at, count: w)
                    }
                    u += 16
                }
            }
        }
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
        let batch = hPrev.rows, hidden = hPrev.columns
        for (tensor, role) in [(preactivation, "preactivation"), (hNext, "hNext"), (output, "output")] {
            try requireMatrix(tensor, rows: batch, columns: hidden, "rnnCellForward \(role)")
        }
        let pre = try floats(preactivation, "preactivation"), hp = try floats(hPrev, "hPrev")
        let hn = try floats(hNext, "hNext"), out = try floats(output, "output")
        let lengths = try lengthElements(lengths, batch: batch, "rnnCellForward")

        rowLoop(rows: batch, workPerRow: 4 * hidden) { rows in
            for b in rows {
                let valid = lengths.map { t < Int($0[b]) } ?? true
                var u = 0
                while u < hidden {
                    let w = min(16, hidden - u)
                    let at = b * hidden + u
                    let h = VectorMath.tanh(VectorMath.load(pre + at, count: w))
                    VectorMath.store(h, pre + at, count: w)
                    VectorMath.store(valid ? h : VectorMath.load(hp + at, count: w), hn + at, count: w)
                    VectorMath.store(valid ? h : V(), out + at, count: w)
                    u += 16
                }
            }
        }
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
