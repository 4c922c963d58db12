import Foundation
import Recur
import RecurText
import Testing

/// `recur train` and `recur pretrain` killed with SIGKILL at 20 seeded random moments, each time resumed
/// (`--resume`, or afresh when no checkpoint was written yet): after every kill the run folder's files all
/// read back (checksums included), at most one checkpoint interval is lost, and the run finally resumed to its
/// end equals one never interrupted.
@Suite(.enabled(if: RecurExecutable.isBuilt, "the recur binary is not built beside the tests (scripts/test.sh builds it)"))
struct KillResumeTests {
    static let kills = 20

    @Test func trainSurvivesTwentyKills() throws {
        let folder = try RecurExecutable.scratchFolder("kill-train")
        try SyntheticReviews.write(to: folder.appending(path: "reviews.tsv"), count: 2_000)
        let flags = [
            "train", "--train", "reviews.tsv", "--epochs", "8", "--patience", "0", "--device", "cpu", "--cell", "gru",
            "--embedding-dim", "32", "--hidden", "48", "--batch-size", "16", "--seed", "5",
        ]
        let (reference, seconds) = try timed { try RecurExecutable.run(flags + ["--out", "reference"], in: folder) }
        try #require(reference.status == 0, "\(reference.output)")
        let run = folder.appending(path: "killed")
        var generator = Xoshiro256StarStar(seed: 20)
        for attempt in 1...Self.kills {
            let resumable = resumable(run)
            let resumedFrom = resumable ? try checkpointCounter("epoch", in: run) : 0
            let log = folder.appending(path: "kill-\(attempt).log")
            let child = try RecurExecutable.start(RecurExecutable.url, flags + ["--out", "killed"] + (resumable ? ["--resume"] : []),
                                                  in: folder, log: log)
            Thread.sleep(forTimeInterval: Self.killMoment(runSeconds: seconds, fraction: 0.6, using: &generator))
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
            try expectIntact(run, after: "kill \(attempt)")
            // The checkpoint follows each epoch's line at once: only a kill between the two loses that epoch.
            let logged = try String(contentsOf: log, encoding: .utf8).components(separatedBy: "\n")
                .filter { $0.hasPrefix("epoch ") && $0.contains("/8") }.count
            if logged > 0 {
                let saved = try checkpointCounter("epoch", in: run)
                #expect(saved >= resumedFrom + logged - 1, "kill \(attempt): \(logged) epochs logged after epoch \(resumedFrom), checkpoint at \(saved)")
            }
        }
        let last = try RecurExecutable.run(flags + ["--out", "killed"] + (resumable(run) ? ["--resume"] : []), in: folder)
        try #require(last.status == 0, "\(last.output)")
        try expectSameTensors(run.appending(path: "model.safetensors"), folder.appending(path: "reference/model.safetensors"), tolerance: 1e-6, "the resumed run differs from the uninterrupted one")
        try expectSameTensors(run.appending(path: "checkpoint.safetensors"), folder.appending(path: "reference/checkpoint.safetensors"), tolerance: 1e-6, "the resumed run differs from the uninterrupted one")
        #expect(try metricsEpochs(run) == Array(1...8))
    }

    @Test func pretrainSurvivesTwentyKills() throws {
        let folder = try RecurExecutable.scratchFolder("kill-pretrain")
        try SyntheticReviews.write(to: folder.appending(path: "reviews.tsv"), count: 4_000)
        let text = try String(contentsOf: folder.appending(path: "reviews.tsv"), encoding: .utf8)
            .split(separator: "\n").dropFirst().map { $0.split(separator: "\t")[0] }.joined(separator: "\n")
        try text.write(to: folder.appending(path: "text.txt"), atomically: true, encoding: .utf8)
        let flags = [
            "pretrain", "--text", "text.txt", "--epochs", "3", "--device", "cpu", "--embedding-dim", "16", "--hidden", "32",
            "--layers", "1", "--bptt", "8", "--batch-size", "4", "--checkpoint-every", "40", "--negatives", "20", "--seed", "5",
        ]
        let (reference, seconds) = try timed { try RecurExecutable.run(flags + ["--out", "reference"], in: folder) }
        try #require(reference.status == 0, "\(reference.output)")
        let run = folder.appending(path: "killed")
        var generator = Xoshiro256StarStar(seed: 21)
        var savedStep = 0
        for attempt in 1...Self.kills {
            let resumable = resumable(run)
            let child = try RecurExecutable.start(RecurExecutable.url, flags + ["--out", "killed"] + (resumable ? ["--resume"] : []),
                                                  in: folder, log: folder.appending(path: "kill-\(attempt).log"))
            Thread.sleep(forTimeInterval: Self.killMoment(runSeconds: seconds, fraction: 0.25, using: &generator))
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
            try expectIntact(run, after: "kill \(attempt)")
            if FileManager.default.fileExists(atPath: run.appending(path: "checkpoint.safetensors").path) {
                let step = try checkpointCounter("globalStep", in: run)
                #expect(step >= savedStep, "kill \(attempt): the checkpoint went back from step \(savedStep) to \(step)")
                savedStep = step
            }
        }
        let last = try RecurExecutable.run(flags + ["--out", "killed"] + (resumable(run) ? ["--resume"] : []), in: folder)
        try #require(last.status == 0, "\(last.output)")
        // Mid-epoch checkpoints carry the recurrent state, so the resumed windows see what they would have.
        try expectSameTensors(run.appending(path: "model.safetensors"), folder.appending(path: "reference/model.safetensors"), tolerance: 1e-6, "the resumed run differs from the uninterrupted one")
        #expect(try metricsEpochs(run) == [1, 2, 3])
    }

    /// A moment to kill at: from start-up to `fraction` of an uninterrupted run, so that twenty kills land in
    /// start-up, mid-epoch, in checkpoint writes and after the end, and the run advances a little each time.
    static func killMoment(runSeconds: Double, fraction: Double, using generator: inout Xoshiro256StarStar) -> Double {
        Double.random(in: 0.05...max(0.3, runSeconds * fraction), using: &generator)
    }

    /// Whether a run has a checkpoint to resume from (a kill before the first one leaves a run to restart).
    private func resumable(_ run: URL) -> Bool {
        FileManager.default.fileExists(atPath: run.appending(path: "checkpoint.safetensors").path)
    }

    private func timed<T>(_ body: () throws -> T) rethrows -> (T, Double) {
        let start = Date()
        let result = try body()
        return (result, Date().timeIntervalSince(start))
    }

    /// Every file the run has written so far reads back whole.
    private func expectIntact(_ run: URL, after moment: String) throws {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: run.path)) ?? []
        for name in files where name.hasSuffix(".safetensors") {
            #expect(throws: Never.self, "\(moment): \(name)") { _ = try SafeTensors.read(run.appending(path: name)) }
        }
        for name in files where name.hasSuffix(".json") {
            let data = try Data(contentsOf: run.appending(path: name))
            #expect((try? JSONSerialization.jsonObject(with: data)) != nil, "\(moment): \(name) is not JSON")
        }
        if files.contains("vocab.txt") {
            #expect(throws: Never.self, "\(moment): vocab.txt") { _ = try Vocabulary.load(from: run.appending(path: "vocab.txt").path) }
        }
        if files.contains("metrics.jsonl") {
            let lines = try String(contentsOf: run.appending(path: "metrics.jsonl"), encoding: .utf8).split(separator: "\n")
            for line in lines {
                #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil, "\(moment): metrics.jsonl has a torn line")
            }
        }
    }

    /// A counter of the checkpoint's loop state (`epoch`, `globalStep`).
    private func checkpointCounter(_ key: String, in run: URL) throws -> Int {
        let (_, metadata) = try SafeTensors.read(run.appending(path: "checkpoint.safetensors"))
        let state = try #require(metadata["recur_state"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(state.utf8)) as? [String: Any])
        return try #require(object[key] as? Int)
    }

    private func metricsEpochs(_ run: URL) throws -> [Int] {
        try String(contentsOf: run.appending(path: "metrics.jsonl"), encoding: .utf8).split(separator: "\n").map {
            try #require((try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["epoch"] as? Int)
        }
    }
}
