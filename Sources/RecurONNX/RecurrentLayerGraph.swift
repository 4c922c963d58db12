import Recur
import RecurCore

extension GraphBuilder {
    /// Layer `layer` of the stack as one ONNX LSTM / GRU / RNN node over time-major `input` `[T, B, In]`,
    /// both directions in one node when bidirectional. `sequenceLengths` (int32 `[B]`) gives packed-sequence
    /// semantics: a forward direction stops at each sequence's last token and a reverse one starts there, as
    /// recur's does. Returns Y `[T, D, B, H]` and Y_h `[D, B, H]` (the state after the last token read).
    mutating func recurrentLayer(_ directions: [RecurrentDirection], layer: Int, input: String, sequenceLengths: String,
                                 weights: (Parameter) throws -> [Float]) throws -> (output: String, finalHidden: String) {
        let cell = directions[0].cell, H = directions[0].hiddenSize, inputSize = directions[0].inputSize
        let G = cell.gateCount * H
        var w: [Float] = [], r: [Float] = [], b: [Float] = []
        for direction in directions {
            w += GateOrder.reorder(try weights(direction.weightIH), cell: cell, hiddenSize: H, width: inputSize)
            r += GateOrder.reorder(try weights(direction.weightHH), cell: cell, hiddenSize: H, width: H)
            // ONNX's B is [Wb, Rb]: input-side biases, then recurrent ones (the GRU's reset gate scales only Rb).
            b += GateOrder.reorder(try weights(direction.biasIH), cell: cell, hiddenSize: H, width: 1)
            b += GateOrder.reorder(try weights(direction.biasHH), cell: cell, hiddenSize: H, width: 1)
        }
        let D = directions.count
        let W = initializer("rnn.W_l\(layer)", floats: w, shape: [D, G, inputSize])
        let R = initializer("rnn.R_l\(layer)", floats: r, shape: [D, G, H])
        let B = initializer("rnn.B_l\(layer)", floats: b, shape: [D, 2 * G])

        var attributes = [Attribute.int("hidden_size", H), Attribute.string("direction", D == 2 ? "bidirectional" : "forward")]
        let op: String
        switch cell {
        case .lstm:
            op = "LSTM"
        case .gru:
            op = "GRU"
            // PyTorch's GRU applies the reset gate after the recurrent product: (W_hn·h + b_hn)·r.
            attributes.append(Attribute.int("linear_before_reset", 1))
        case .rnn:
            op = "RNN"  // ONNX's default activation is Tanh, as recur's.
        }
        let outputs = node(op, [input, W, R, B, sequenceLengths], outputs: ["rnn.Y_l\(layer)", "rnn.Y_h_l\(layer)"],
                           attributes: attributes)
        return (outputs[0], outputs[1])
    }

    /// Y `[T, D, B, H]` as the next layer's input `[T, B, D·H]`: forward units first, then reverse, the column
    /// order of recur's (and PyTorch's) `weight_ih` above a bidirectional layer.
    mutating func layerInput(fromOutput y: String, layer: Int) -> String {
        let transposed = node("Transpose", [y], output: "rnn.Y_tbdh_l\(layer)",
                              attributes: [Attribute.ints("perm", [0, 2, 1, 3])])
        return node("Reshape", [transposed, constant("shape_tb_minus1", [0, 0, -1])], output: "rnn.X_l\(layer + 1)")
    }
}
