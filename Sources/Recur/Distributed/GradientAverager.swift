import RecurCore

/// Averages gradients over a process group after every backward pass, in one fused buffer per step (as
/// Horovod fuses tensors: one large MPI_Allreduce, not one per parameter). The buffer is kept across steps,
/// so a step neither allocates nor faults in fresh pages for it.
public final class GradientAverager {
    public let group: any ProcessGroup
    private var fused: [Float] = []

    public init(group: any ProcessGroup) { self.group = group }

    /// Turns each process's mean gradient over its `examples` into the mean over every process's examples,
    /// weighting by example count so that an uneven last batch (even an empty share) averages exactly as one
    /// process would over the whole batch. `statistics` (loss sums, counts) ride in the same buffer and come
    /// back summed. Returns the examples of the whole step.
    @discardableResult
    public func average(_ parameters: [Parameter], examples: Int, statistics: inout [Float], on backend: Backend) throws -> Int {
        let trainable = parameters.filter(\.isTrainable)
        let gradientCount = trainable.reduce(0) { $0 + $1.gradient.count }
        let count = gradientCount + statistics.count + 1
        if fused.count != count { fused = [Float](repeating: 0, count: count) }
        let weight = Float(examples)
        try fused.withUnsafeMutableBufferPointer { buffer in
            var offset = 0
            for parameter in trainable {
                let gradient = try backend.download(parameter.gradient)
                gradient.withUnsafeBufferPointer { source in
                    for i in source.indices { buffer[offset + i] = source[i] * weight }
                }
                offset += gradient.count
            }
            for (i, value) in statistics.enumerated() { buffer[offset + i] = value }
            buffer[count - 1] = weight
        }
        try group.allReduceSum(&fused)
        let total = fused[count - 1]
        statistics = Array(fused[gradientCount..<(count - 1)])
        let scale = total > 0 ? 1 / total : 0
        try fused.withUnsafeBufferPointer { buffer in
            var offset = 0
            for parameter in trainable {
                let size = parameter.gradient.count
                let averaged = [Float](unsafeUninitializedCapacity: size) { destination, initialized in
                    for i in 0..<size { destination[i] = buffer[offset + i] * scale }
                    initialized = size
                }
                try backend.write(averaged, to: parameter.gradient)
                offset += size
            }
        }
        return Int(total)
    }
}
