import Recur

extension GraphBuilder {
    /// Which time steps of each sequence are real tokens, built from the lengths only (never from padding
    /// values or from what the recurrent op leaves past a sequence's end).
    struct StepMask {
        /// bool `[T, 1, B, 1]`, broadcasting against Y `[T, D, B, H]`.
        let valid: String
        /// float `[1, B, 1]`: each sequence's length, at least 1, to divide sums by.
        let count: String
    }

    /// `lengths`: int64 `[B]`; `timeMajorTokens`: `[T, B]`, whose first dimension is T.
    mutating func stepMask(lengths: String, timeMajorTokens: String) -> StepMask {
        let zero = initializer("zero", int64s: [0], shape: []), one = initializer("one", int64s: [1], shape: [])
        let shape = node("Shape", [timeMajorTokens], output: "tokens_shape")
        let steps = node("Gather", [shape, zero], output: "steps", attributes: [Attribute.int("axis", 0)])
        let range = node("Range", [zero, steps, one], output: "step_index")
        let column = node("Unsqueeze", [range, constant("axes", [1])], output: "step_index_t1")
        let row = node("Unsqueeze", [lengths, constant("axes", [0])], output: "lengths_1b")
        let valid = node("Less", [column, row], output: "valid_tb")
        let broadcastable = node("Unsqueeze", [valid, constant("axes", [1, 3])], output: "valid_t1b1")
        let floatLengths = node("Cast", [lengths], output: "lengths_float", attributes: [Attribute.to(.float)])
        // recur's mean of an empty sequence is 0, not 0/0: divide by max(length, 1).
        let oneFloat = initializer("one_float", floats: [1], shape: [])
        let atLeastOne = node("Max", [floatLengths, oneFloat], output: "lengths_at_least_1")
        let count = node("Unsqueeze", [atLeastOne, constant("axes", [0, 2])], output: "lengths_1b1")
        return StepMask(valid: broadcastable, count: count)
    }

    /// One pooled piece as `[B, D·H]` in recur's feature order (forward direction, then reverse), from the top
    /// layer's Y `[T, D, B, H]` and Y_h `[D, B, H]`.
    mutating func pooled(_ piece: Pooling, output y: String, finalHidden: String, mask: StepMask?) -> String {
        let perDirection: String  // [D, B, H]
        switch piece {
        case .last:
            // Y_h is what recur pools as `last`: forward, the state at the last real token; reverse, the state
            // after reading back to the first token.
            perDirection = finalHidden
        case .mean:
            let mask = mask!
            let floatMask = node("Cast", [mask.valid], output: "valid_float", attributes: [Attribute.to(.float)])
            let masked = node("Mul", [y, floatMask], output: "masked_Y")
            let sum = node("ReduceSum", [masked, constant("axes", [0])], output: "sum_over_time",
                           attributes: [Attribute.int("keepdims", 0)])
            perDirection = node("Div", [sum, mask.count], output: "mean_pool")
        case .max:
            let mask = mask!
            let minusInfinity = initializer("minus_infinity", floats: [-.infinity], shape: [])
            let masked = node("Where", [mask.valid, y, minusInfinity], output: "masked_Y")
            perDirection = node("ReduceMax", [masked, constant("axes", [0])], output: "max_pool",
                                attributes: [Attribute.int("keepdims", 0)])
        case .concat:
            preconditionFailure("concat is expanded into pieces")
        }
        let batchFirst = node("Transpose", [perDirection], output: "\(piece.rawValue)_bdh",
                              attributes: [Attribute.ints("perm", [1, 0, 2])])
        return node("Reshape", [batchFirst, constant("shape_b_minus1", [0, -1])], output: "\(piece.rawValue)_features")
    }
}
