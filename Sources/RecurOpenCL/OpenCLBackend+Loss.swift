import RecurCore

extension OpenCLBackend {
    public func softmaxCrossEntropy(
        logits: Tensor, targets: Tensor, classWeights: Tensor?, ignoreIndex: Int32?,
        probabilities: Tensor, rowLosses: Tensor
    ) throws {
        try requireCount("softmaxCrossEntropy targets", targets, logits.rows)
        try requireCount("softmaxCrossEntropy rowLosses", rowLosses, logits.rows)
        try softmaxRows(logits, into: probabilities, loss: (targets, classWeights, ignoreIndex, rowLosses))
    }

    public func softmax(_ logits: Tensor, into probabilities: Tensor) throws {
        try softmaxRows(logits, into: probabilities, loss: nil)
    }

    private func softmaxRows(
        _ logits: Tensor, into probabilities: Tensor,
        loss: (targets: Tensor, weights: Tensor?, ignoreIndex: Int32?, rowLosses: Tensor)?
    ) throws {
        try requireEqualCounts("softmax", logits, probabilities)
        let (rows, classes) = (logits.rows, logits.columns)
        let arguments: [KernelArgument] = [
            .int(rows), .int(classes), .tensor(logits), .tensor(probabilities),
            .int(loss == nil ? 0 : 1), .optional(loss?.targets),
            .lengths(loss?.weights),  // (buffer, offset, hasWeights)
            .int32(loss?.ignoreIndex ?? 0), .int(loss?.ignoreIndex == nil ? 0 : 1),
            .optional(loss?.rowLosses),
        ]
        if style == .gpu {
            // One work-group per row.
            let group = Self.softmaxGroupSize
            try launch("softmax_rows_gpu", in: "softmax", global: [rows * group], local: [group], arguments)
        } else {
            // One row per work-item and per work-group: the kernel vectorizes along the row itself.
            try launch("softmax_rows_cpu", in: "softmax", global: [rows], local: [1], arguments)
        }
    }

    public func softmaxCrossEntropyBackward(
        probabilities: Tensor, targets: Tensor, classWeights: Tensor?, ignoreIndex: Int32?,
        scale: Float, dLogits: Tensor
    ) throws {
        try requireEqualCounts("softmaxCrossEntropyBackward", probabilities, dLogits)
        try requireCount("softmaxCrossEntropyBackward targets", targets, probabilities.rows)
        try launchElementwise("softmax_cross_entropy_backward", in: "softmax", count: probabilities.count, [
            .int(probabilities.rows), .int(probabilities.columns), .tensor(probabilities), .tensor(targets),
            .lengths(classWeights), .int32(ignoreIndex ?? 0), .int(ignoreIndex == nil ? 0 : 1),
            .float(scale), .tensor(dLogits),
        ])
    }
}
