import Foundation
import Recur
import Testing

/// `mpirun -np 2 recur train|pretrain` at batch B per process against one process at batch 2B: the same
/// batches, the gradients averaged over all 2B examples, so the same weights to float tolerance (the sums
/// are added in another order). Without mpirun these are skipped, unless RECUR_REQUIRE_MPI=1 (CI).
@Suite(.enabled(if: MPI.shouldRun, "mpirun not found (install openmpi-bin; RECUR_REQUIRE_MPI=1 makes this a failure)"))
struct DataParallelTrainingTests {
    /// Dropout is off: each process draws its own masks, which one process would not.
    static let classifierFlags = [
        "--train", "reviews.tsv", "--epochs", "3", "--patience", "0", "--device", "cpu", "--cell", "lstm",
        "--embedding-dim", "16", "--hidden", "24", "--dropout", "0", "--embedding-dropout", "0", "--word-dropout", "0",
        "--rnn-dropout", "0", "--seed", "3",
    ]

    @Test func trainingOnTwoProcessesEqualsOneAtTwiceTheBatch() throws {
        let folder = try MPI.prepare("train")
        let single = try RecurExecutable.run(["train"] + Self.classifierFlags + ["--batch-size", "16", "--out", "single"], in: folder)
        #expect(single.status == 0, "\(single.output)")
        let pair = try MPI.run(["train"] + Self.classifierFlags + ["--batch-size", "8", "--out", "pair"], in: folder)
        #expect(pair.status == 0, "\(pair.output)")
        #expect(pair.output.contains("epoch 3/3"), "\(pair.output)")
        try expectSameTensors(folder.appending(path: "pair/model.safetensors"), folder.appending(path: "single/model.safetensors"), tolerance: 1e-4, "two processes and one differ")
        try expectSameTensors(folder.appending(path: "pair/checkpoint.safetensors"), folder.appending(path: "single/checkpoint.safetensors"), tolerance: 1e-4, "two processes and one differ")
        // Rank 0 alone speaks and writes.
        #expect(pair.output.components(separatedBy: "epoch 1/3").count == 2, "\(pair.output)")
    }

    @Test func pretrainingOnTwoProcessesEqualsOneAtTwiceTheBatch() throws {
        let folder = try MPI.prepare("pretrain")
        let text = try String(contentsOf: folder.appending(path: "reviews.tsv"), encoding: .utf8)
            .split(separator: "\n").dropFirst().map { $0.split(separator: "\t")[0] }.joined(separator: "\n")
        try text.write(to: folder.appending(path: "text.txt"), atomically: true, encoding: .utf8)
        // Full softmax: sampled negatives would be drawn per process.
        let flags = [
            "pretrain", "--text", "text.txt", "--epochs", "2", "--device", "cpu", "--embedding-dim", "16", "--hidden", "24",
            "--layers", "1", "--embedding-dropout", "0", "--rnn-dropout", "0", "--output-dropout", "0", "--weight-dropout", "0",
            "--negatives", "0", "--bptt", "8", "--seed", "3", "--valid-fraction", "0.1",
        ]
        let single = try RecurExecutable.run(flags + ["--batch-size", "8", "--out", "single"], in: folder)
        #expect(single.status == 0, "\(single.output)")
        let pair = try MPI.run(flags + ["--batch-size", "4", "--out", "pair"], in: folder)
        #expect(pair.status == 0, "\(pair.output)")
        try expectSameTensors(folder.appending(path: "pair/model.safetensors"), folder.appending(path: "single/model.safetensors"), tolerance: 1e-4, "two processes and one differ")
        // Validation reads the rows one process would.
        let pairLoss = try finalValidLoss(folder.appending(path: "pair/metrics.jsonl"))
        let singleLoss = try finalValidLoss(folder.appending(path: "single/metrics.jsonl"))
        #expect(abs(pairLoss - singleLoss) < 1e-4, "validation loss \(pairLoss) on two processes, \(singleLoss) on one")
    }

    /// Stopped after its first epoch (mpirun ends every process on SIGTERM), a two-process run resumes
    /// from rank 0's checkpoint and ends where an uninterrupted single process does.
    @Test func aStoppedTwoProcessRunResumes() throws {
        let folder = try MPI.prepare("resume")
        let flags = ["train"] + Self.classifierFlags + ["--epochs", "4"]
        let single = try RecurExecutable.run(flags + ["--batch-size", "16", "--out", "single"], in: folder)
        #expect(single.status == 0, "\(single.output)")
        let log = folder.appending(path: "pair.log")
        let mpirun = try RecurExecutable.start(try #require(MPI.mpirun), MPI.arguments(flags + ["--batch-size", "8", "--out", "pair"]),
                                               in: folder, log: log, environment: MPI.environment)
        let checkpoint = folder.appending(path: "pair/checkpoint.safetensors")
        let deadline = Date().addingTimeInterval(120)
        while mpirun.isRunning, Date() < deadline, !FileManager.default.fileExists(atPath: checkpoint.path) {
            Thread.sleep(forTimeInterval: 0.01)
        }
        mpirun.terminate()
        mpirun.waitUntilExit()
        let resumed = try MPI.run(flags + ["--batch-size", "8", "--out", "pair", "--resume"], in: folder)
        #expect(resumed.status == 0, "\(resumed.output)")
        #expect(resumed.output.contains("resuming after epoch"), "\(resumed.output)")
        try expectSameTensors(folder.appending(path: "pair/checkpoint.safetensors"), folder.appending(path: "single/checkpoint.safetensors"), tolerance: 1e-4, "two processes and one differ")
    }

    private func finalValidLoss(_ metrics: URL) throws -> Double {
        let last = try #require(try String(contentsOf: metrics, encoding: .utf8).split(separator: "\n").last)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
        return try #require(object["validLoss"] as? Double, "\(metrics.path): no validLoss")
    }
}

struct MissingMPI: Error, CustomStringConvertible {
    var description: String { "RECUR_REQUIRE_MPI=1 but mpirun is not on PATH (apt-get install openmpi-bin libopenmpi-dev)" }
}

/// mpirun as the tests start it: two processes on however many cores there are, allowed as root (CI).
enum MPI {
    static let mpirun = RecurExecutable.onPath("mpirun")
    static var required: Bool { ProcessInfo.processInfo.environment["RECUR_REQUIRE_MPI"] == "1" }
    static var shouldRun: Bool { mpirun != nil || required }
    static let environment = ["OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1", "OMPI_MCA_rmaps_base_oversubscribe": "1"]

    static func arguments(_ recurArguments: [String]) -> [String] {
        ["-np", "2", "--oversubscribe", "--bind-to", "none", RecurExecutable.url.path] + recurArguments
    }

    static func run(_ recurArguments: [String], in folder: URL) throws -> (status: Int32, output: String) {
        guard let mpirun else { throw MissingMPI() }
        return try RecurExecutable.run(arguments(recurArguments), executable: mpirun, in: folder, environment: environment)
    }

    /// A scratch folder holding reviews.tsv, after checking that mpirun and recur are there.
    static func prepare(_ name: String) throws -> URL {
        guard mpirun != nil else { throw MissingMPI() }
        try #require(RecurExecutable.isBuilt, "\(RecurExecutable.url.path) is missing: build it first (swift build --product recur; scripts/test.sh does)")
        let folder = try RecurExecutable.scratchFolder(name)
        try SyntheticReviews.write(to: folder.appending(path: "reviews.tsv"))
        return folder
    }
}
