import Foundation
import Recur
import Testing

/// A disk that fills up while a checkpoint is written, simulated by a file-size limit on the child process
/// (`ulimit -f`, with SIGXFSZ ignored, so a write past it fails with EFBIG as on a full disk): the run stops
/// with a message naming the file, the last good checkpoint stays as it was, and once there is room again
/// `--resume` carries the run to its end.
@Suite(.enabled(if: RecurExecutable.isBuilt, "the recur binary is not built beside the tests (scripts/test.sh builds it)"))
struct FullDiskTests {
    @Test func aFullDiskNamesTheFileAndKeepsTheLastCheckpoint() throws {
        let folder = try RecurExecutable.scratchFolder("full-disk")
        try SyntheticReviews.write(to: folder.appending(path: "reviews.tsv"), count: 600)
        let flags = [
            "train", "--train", "reviews.tsv", "--epochs", "4", "--patience", "0", "--device", "cpu", "--cell", "gru",
            "--embedding-dim", "16", "--hidden", "24", "--batch-size", "16", "--seed", "9", "--out", "run",
        ]
        // A first run, stopped as soon as its first checkpoint is on disk.
        let checkpoint = folder.appending(path: "run/checkpoint.safetensors")
        let first = try RecurExecutable.start(RecurExecutable.url, flags, in: folder, log: folder.appending(path: "first.log"))
        let deadline = Date().addingTimeInterval(120)
        while first.isRunning, Date() < deadline, !FileManager.default.fileExists(atPath: checkpoint.path) {
            Thread.sleep(forTimeInterval: 0.005)
        }
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        let good = try Data(contentsOf: checkpoint)
        _ = try SafeTensors.read(checkpoint)

        // Room for the model file (a third of the checkpoint, which adds Adam's two moments) but not for the
        // checkpoint. A shell sets the limit, then becomes recur.
        let kilobytes = good.count / 2 / 1024
        let command = "trap '' XFSZ; ulimit -f \(kilobytes); exec \"$0\" \"$@\""
        let full = try RecurExecutable.run(["-c", command, RecurExecutable.url.path] + flags + ["--resume"],
                                           executable: URL(fileURLWithPath: "/bin/bash"), in: folder)
        #expect(full.status != 0, "\(full.output)")
        #expect(full.output.contains("checkpoint.safetensors: cannot be written"), "\(full.output)")
        #expect(full.output.contains("previous version is kept"), "\(full.output)")
        #expect(!full.output.contains("Fatal error"), "\(full.output)")
        #expect(try Data(contentsOf: checkpoint) == good, "the last good checkpoint changed")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.appending(path: "run").path)
            .filter { $0.hasSuffix(".partial") }
        #expect(leftovers.isEmpty, "temporary files left behind: \(leftovers)")

        let resumed = try RecurExecutable.run(flags + ["--resume"], in: folder)
        #expect(resumed.status == 0, "\(resumed.output)")
        #expect(resumed.output.contains("epoch 4/4"), "\(resumed.output)")
    }
}
