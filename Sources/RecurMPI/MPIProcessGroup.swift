import CMPI
import Foundation
import Recur

/// MPI's world communicator as a `ProcessGroup`. `mpirun -np N recur ...` starts N processes; each makes one
/// of these at start (MPI_Init) and calls `finalize` or `abort` before it exits.
public final class MPIProcessGroup: ProcessGroup {
    public let rank: Int
    public let size: Int
    private let world = recur_mpi_comm_world()

    /// The launcher's group when this process was started by `mpirun` (Open MPI, MPICH/Hydra or Slurm's PMI
    /// set these), else nil: a plain run stays out of MPI entirely, with no MPI_Init cost.
    public static func fromLauncher(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> MPIProcessGroup? {
        let markers = ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"]
        guard markers.contains(where: { environment[$0] != nil }) else { return nil }
        return try MPIProcessGroup()
    }

    private init() throws {
        var provided: Int32 = 0
        try Self.check(MPI_Init_thread(nil, nil, Int32(MPI_THREAD_FUNNELED), &provided), "MPI_Init")
        var rank: Int32 = 0, size: Int32 = 0
        try Self.check(MPI_Comm_rank(recur_mpi_comm_world(), &rank), "MPI_Comm_rank")
        try Self.check(MPI_Comm_size(recur_mpi_comm_world(), &size), "MPI_Comm_size")
        self.rank = Int(rank)
        self.size = Int(size)
    }

    /// Ends MPI for this process once every process has got here (mpirun reports a process that exits
    /// without it as a failure).
    public func finalize() {
        MPI_Barrier(world)
        MPI_Finalize()
    }

    /// Ends every process of the job: an error on one rank would otherwise leave the others waiting in a collective.
    public func abort(code: Int32) -> Never {
        MPI_Abort(world, code)
        exit(code)
    }

    public func allReduceSum(_ values: inout [Float]) throws {
        try values.withUnsafeMutableBufferPointer { buffer in
            try Self.inChunks(buffer.count) { offset, count in
                try Self.check(MPI_Allreduce(recur_mpi_in_place(), buffer.baseAddress! + offset, count, recur_mpi_float(),
                                             recur_mpi_sum(), world), "MPI_Allreduce of \(buffer.count) floats")
            }
        }
    }

    public func broadcast(_ values: inout [Float], from root: Int) throws {
        try values.withUnsafeMutableBufferPointer { buffer in
            try Self.inChunks(buffer.count) { offset, count in
                try Self.check(MPI_Bcast(buffer.baseAddress! + offset, count, recur_mpi_float(), Int32(root), world),
                               "MPI_Bcast of \(buffer.count) floats")
            }
        }
    }

    public func broadcast(_ bytes: inout [UInt8], from root: Int) throws {
        var count = [Int64(bytes.count)]
        try Self.check(MPI_Bcast(&count, 1, recur_mpi_int64(), Int32(root), world), "MPI_Bcast of a length")
        if rank != root { bytes = [UInt8](repeating: 0, count: Int(count[0])) }
        try bytes.withUnsafeMutableBufferPointer { buffer in
            try Self.inChunks(buffer.count) { offset, count in
                try Self.check(MPI_Bcast(buffer.baseAddress! + offset, count, recur_mpi_byte(), Int32(root), world),
                               "MPI_Bcast of \(buffer.count) bytes")
            }
        }
    }

    /// MPI counts are 32-bit: larger buffers go in pieces.
    private static func inChunks(_ total: Int, _ body: (Int, Int32) throws -> Void) throws {
        let chunk = 1 << 30
        var offset = 0
        while offset < total {
            let count = min(chunk, total - offset)
            try body(offset, Int32(count))
            offset += count
        }
    }

    private static func check(_ code: Int32, _ operation: String) throws {
        guard code == MPI_SUCCESS else { throw ProcessGroupError(operation: operation, code: code) }
    }
}
