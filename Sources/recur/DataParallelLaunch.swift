import Foundation
import Recur
#if canImport(RecurMPI)
import RecurMPI
#endif

/// `mpirun -np N recur train|pretrain ...`: the process group a command runs in, and what changes in one.
/// Every process reads the same data and builds the same vocabulary; rank 0 alone logs and writes the run
/// folder (see `TrainingSession` and `PretrainingSession` for the training side).
enum DataParallelLaunch {
    /// This process's group while a command runs under `run`; nil outside mpirun.
    nonisolated(unsafe) private(set) static var group: (any ProcessGroup)?

    static var isRoot: Bool { group?.isRoot ?? true }

    /// Runs `body` in the launcher's group, if any: MPI is finalized at the end, and an error on any process
    /// is printed with its rank and ends the whole job (the others would otherwise wait in a collective).
    static func run(_ body: () throws -> Void) throws {
        #if canImport(RecurMPI)
        guard let mpi = try MPIProcessGroup.fromLauncher(), mpi.size > 1 else { return try body() }
        group = mpi
        if !mpi.isRoot { silenceLog = true }
        do {
            try body()
            mpi.finalize()
        } catch {
            FileHandle.standardError.write(Data("Error (rank \(mpi.rank) of \(mpi.size)): \(error)\n".utf8))
            mpi.abort(code: 1)
        }
        #else
        let environment = ProcessInfo.processInfo.environment
        if ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"].contains(where: { environment[$0] != nil }) {
            throw CLIError("this recur was built without MPI (RECUR_MPI=0): build it with libopenmpi-dev installed to train under mpirun")
        }
        try body()
        #endif
    }

    /// The batch size each process trains with: `--batch-size` as given (PyTorch DDP's and Horovod's rule: the
    /// step's batch is N times it), else the chosen batch split among the processes, so that a run with no
    /// flags trains as one process would.
    static func perProcessBatch(_ chosen: Int, given: Bool) -> Int {
        guard let group, !given else { return chosen }
        let share = max(1, chosen / group.size)
        log("MPI: \(group.size) processes; batch \(share) each, \(share * group.size) a step (--batch-size sets each process's)")
        return share
    }
}
