import RecurCore

/// Data parallelism over a `ProcessGroup`, as Horovod does it: the same model on every process, rank 0's
/// weights broadcast once, each process's gradients summed into one fused buffer per step.
public enum DataParallel {
    /// Copies rank 0's values of `parameters` (and buffers) to every other process, in one message.
    public static func broadcastParameters(_ parameters: [Parameter], in group: any ProcessGroup, on backend: Backend) throws {
        guard group.size > 1 else { return }
        var fused: [Float] = []
        fused.reserveCapacity(parameters.reduce(0) { $0 + $1.value.count })
        for parameter in parameters { fused += try backend.download(parameter.value) }
        try group.broadcast(&fused, from: 0)
        var offset = 0
        for parameter in parameters {
            let count = parameter.value.count
            try backend.write(Array(fused[offset..<(offset + count)]), to: parameter.value)
            offset += count
        }
    }

    /// A process's share of a batch of `count` examples split over `size` processes of `perProcess` each:
    /// rank r takes `[r·perProcess, (r+1)·perProcess)`, clipped (the last batch of an epoch may leave a rank
    /// with fewer, or none).
    public static func share(of count: Int, perProcess: Int, rank: Int) -> Range<Int> {
        let start = min(count, rank * perProcess)
        return start..<min(count, start + perProcess)
    }
}
