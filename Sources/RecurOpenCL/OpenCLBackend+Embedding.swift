import RecurCore

extension OpenCLBackend {
    public func embeddingForward(weight: Tensor, tokens: Tensor, output: Tensor) throws {
        let width = weight.columns
        try requireCount("embeddingForward output", output, tokens.count * width)
        let quads = width % 4 == 0
        try launchElementwise(quads ? "embedding_forward4" : "embedding_forward", in: "embedding",
                              count: tokens.count * (quads ? width / 4 : width), [
            .int(tokens.count), .int(width), .tensor(weight), .tensor(tokens), .tensor(output),
        ])
    }

    public func embeddingBackward(dOutput: Tensor, tokens: Tensor, dWeight: Tensor, paddingIndex: Int32?) throws {
        let width = dWeight.columns
        try requireCount("embeddingBackward dOutput", dOutput, tokens.count * width)
        // One work-item per embedding column (or 4 columns): deterministic without float atomics.
        // Few, long-running work-items: small work-groups, so that a CPU runtime spreads them over its cores.
        let quads = width % 4 == 0
        let items = quads ? width / 4 : width
        try launch(quads ? "embedding_backward4" : "embedding_backward", in: "embedding", global: [items], local: [4], [
            .int(tokens.count), .int(width), .tensor(dOutput), .tensor(tokens), .tensor(dWeight),
            .int32(paddingIndex ?? 0), .int(paddingIndex == nil ? 0 : 1),
        ])
    }

    public func dropoutMask(_ mask: Tensor, p: Float, seed: UInt64) throws {
        guard p >= 0, p <= 1 else { throw BackendError.invalidArgument("dropout probability \(p) outside [0, 1]") }
        // The keep scale is computed once here, in Float, as the CPU backend does.
        let keepScale: Float = 1 / (1 - p)
        try launchElementwise("dropout_mask", in: "dropout", count: mask.count, [
            .tensor(mask), .int(mask.count), .float(p), .float(keepScale),
            .uint(UInt32(truncatingIfNeeded: seed)), .uint(UInt32(truncatingIfNeeded: seed >> 32)),
        ])
    }
}
