import RecurCore

extension OpenCLBackend {
    public func lstmCellForward(
        gates: Tensor, cPrev: Tensor, hPrev: Tensor, cNext: Tensor, hNext: Tensor, output: Tensor,
        lengths: Tensor?, t: Int
    ) throws {
        let (batch, hidden) = (hPrev.rows, hPrev.columns)
        try requireCount("lstmCellForward gates", gates, batch * hidden * 4)
        try launchCell("lstm_cell_forward", in: "lstm", batch: batch, hidden: hidden, [
            .int(batch), .int(hidden), .tensor(gates), .tensor(cPrev), .tensor(hPrev),
            .tensor(cNext), .tensor(hNext), .tensor(output), .lengths(lengths), .int(t),
        ])
    }

    public func lstmCellBackward(
        gates: Tensor, cPrev: Tensor, cNext: Tensor, dOutput: Tensor, dh: Tensor, dc: Tensor, dGates: Tensor,
        lengths: Tensor?, t: Int
    ) throws {
        let (batch, hidden) = (dh.rows, dh.columns)
        try requireCount("lstmCellBackward gates", gates, batch * hidden * 4)
        try requireCount("lstmCellBackward dGates", dGates, batch * hidden * 4)
        try launchCell("lstm_cell_backward", in: "lstm", batch: batch, hidden: hidden, [
            .int(batch), .int(hidden), .tensor(gates), .tensor(cPrev), .tensor(cNext),
            .tensor(dOutput), .tensor(dh), .tensor(dc), .tensor(dGates), .lengths(lengths), .int(t),
        ])
    }

    public func gruCellForward(
        inputGates: Tensor, hiddenGates: Tensor, hPrev: Tensor, hNext: Tensor, output: Tensor,
        lengths: Tensor?, t: Int
    ) throws {
        let (batch, hidden) = (hPrev.rows, hPrev.columns)
        try requireCount("gruCellForward inputGates", inputGates, batch * hidden * 3)
        try requireCount("gruCellForward hiddenGates", hiddenGates, batch * hidden * 3)
        try launchCell("gru_cell_forward", in: "gru", batch: batch, hidden: hidden, [
            .int(batch), .int(hidden), .tensor(inputGates), .tensor(hiddenGates), .tensor(hPrev),
            .tensor(hNext), .tensor(output), .lengths(lengths), .int(t),
        ])
    }

    public func gruCellBackward(
        inputGates: Tensor, hiddenGates: Tensor, hPrev: Tensor, dOutput: Tensor, dh: Tensor,
        dInputGates: Tensor, dHiddenGates: Tensor, lengths: Tensor?, t: Int
    ) throws {
        let (batch, hidden) = (dh.rows, dh.columns)
        try requireCount("gruCellBackward dInputGates", dInputGates, batch * hidden * 3)
        try requireCount("gruCellBackward dHiddenGates", dHiddenGates, batch * hidden * 3)
        try launchCell("gru_cell_backward", in: "gru", batch: batch, hidden: hidden, [
            .int(batch), .int(hidden), .tensor(inputGates), .tensor(hiddenGates), .tensor(hPrev),
            .tensor(dOutput), .tensor(dh), .tensor(dInputGates), .tensor(dHiddenGates), .lengths(lengths), .int(t),
        ])
    }

    public func rnnCellForward(preactivation: Tensor, hPrev: Tensor, hNext: Tensor, output: Tensor, lengths: Tensor?, t: Int) throws {
        let (batch, hidden) = (hPrev.rows, hPrev.columns)
        try requireCount("rnnCellForward preactivation", preactivation, batch * hidden)
        try launchElementwise("rnn_cell_forward", in: "rnn", count: batch * hidden, [
            .int(batch), .int(hidden), .tensor(preactivation), .tensor(hPrev), .tensor(hNext), .tensor(output),
            .lengths(lengths), .int(t),
        ])
    }

    public func rnnCellBackward(activation: Tensor, dOutput: Tensor, dh: Tensor, dPreactivation: Tensor, lengths: Tensor?, t: Int) throws {
        let (batch, hidden) = (dh.rows, dh.columns)
        try requireCount("rnnCellBackward dPreactivation", dPreactivation, batch * hidden)
        try launchElementwise("rnn_cell_backward", in: "rnn", count: batch * hidden, [
            .int(batch), .int(hidden), .tensor(activation), .tensor(dOutput), .tensor(dh), .tensor(dPreactivation),
            .lengths(lengths), .int(t),
        ])
    }

    func requireCount(_ what: String, _ tensor: Tensor, _ expected: Int) throws {
        guard tensor.count == expected else {
            throw BackendError.invalidArgument("\(what): expected \(expected) elements, got shape \(tensor.shape)")
        }
    }

    /// Launches the cell kernel `name` over one `[batch, hidden]` step: its float8 variant (`name8`, one
    /// work-item per 8 units) when the hidden size allows, else one work-item per unit.
    private func launchCell(_ name: String, in program: String, batch: Int, hidden: Int, _ arguments: [KernelArgument]) throws {
        let vectors = hidden % 8 == 0
        try launchElementwise(vectors ? name + "8" : name, in: program, count: batch * (vectors ? hidden / 8 : hidden), arguments)
    }
}
