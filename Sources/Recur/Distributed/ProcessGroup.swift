/// The processes of one data-parallel run (MPI's world communicator in `recur`; tests may supply their own).
/// Every process calls each collective in the same order; a call returns when all of them have made it.
public protocol ProcessGroup: AnyObject {
    /// This process's index, 0 ..< size; rank 0 writes the run folder.
    var rank: Int { get }
    var size: Int { get }
    /// Replaces `values` on every process by their element-wise sum over all processes.
    func allReduceSum(_ values: inout [Float]) throws
    /// Replaces `values` on every process by rank `root`'s (every process passes the same count).
    func broadcast(_ values: inout [Float], from root: Int) throws
    /// Replaces `bytes` by rank `root`'s; the other processes' counts need not match (they learn it first).
    func broadcast(_ bytes: inout [UInt8], from root: Int) throws
}

extension ProcessGroup {
    public var isRoot: Bool { rank == 0 }
}

/// A collective call that failed, named by what it was doing.
public struct ProcessGroupError: Error, CustomStringConvertible {
    public var operation: String
    public var code: Int32
    public init(operation: String, code: Int32) {
        self.operation = operation
        self.code = code
    }
    public var description: String { "MPI: \(operation) failed (error \(code))" }
}
