import ArgumentParser
import Foundation
import Recur
import RecurCore
import RecurText

/// `recur bench train`: training and inference throughput of a classifier on synthetic token ids, in the
/// configuration of the PyTorch baseline (`scripts/bench-vs-pytorch.sh` runs both side by side).
struct TrainBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "Time training and inference steps on synthetic data; print tokens/s and peak RSS.")

    @Option(help: "Recurrent cell: lstm, gru or rnn.") var cell = "lstm"
    @Option(help: "Vocabulary size.") var vocab = 20_000
    @Option(help: "Embedding dimension.") var embeddingDim = 128
    @Option(help: "Hidden units.") var hidden = 256
    @Option(help: "Sequences per batch.") var batchSize = 64
    @Option(help: "Tokens per sequence.") var seqLen = 64
    @Option(help: "Timed training steps (after warm-up).") var steps = 20
    @Flag(help: "Print one JSON object instead of text.") var json = false
    @Flag(help: .hidden) var firstStepOnly = false
    @OptionGroup var device: DeviceOption

    func run() throws {
        guard let cellKind = RecurrentCellKind(rawValue: cell) else { throw ValidationError("--cell: expected lstm, gru or rnn") }
        guard vocab > 2, hidden > 0, embeddingDim > 0, batchSize > 0, seqLen > 0, steps > 0 else {
            throw ValidationError("sizes and --steps must be positive")
        }
        let (backend, reason) = try device.makeBackend()
        log("device: \(backend.name) — \(reason)")
        let config = ClassifierConfig(vocabularySize: vocab, embeddingDimension: embeddingDim, hiddenSize: hidden,
                                      cell: cellKind, pooling: .last, classCount: 2, paddingIndex: 0)
        var options = TrainingOptions()
        options.clipNorm = 0
        options.batchSize = batchSize
        let model = try SentimentClassifier(config: config, seed: 1, on: backend)
        let trainer = try Trainer(model: model, options: options, on: backend)

        var generator = WeightInitializer(seed: 7)
        let batches = (0..<4).map { _ in
            let sequences = (0..<batchSize).map { _ in (0..<seqLen).map { _ in Int32.random(in: 2..<Int32(vocab), using: &generator) } }
            let labels = (0..<batchSize).map { _ in Int32.random(in: 0...1, using: &generator) }
            return Batch(indices: Array(0..<batchSize), sequences: sequences, labels: labels)
        }
        let tokensPerBatch = Double(batchSize * seqLen)

        func time(_ body: () throws -> Void) rethrows -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        if firstStepOnly {
            // For `recur bench startup`, which times this process from launch to this line.
            _ = try trainer.trainStep(batches[0], learningRateScale: 1)
            print(StartupBench.firstStepMarker)
            fflush(stdout)  // a pipe is block-buffered: without this the marker would wait for the exit
            return
        }
        // Warm up: kernel builds, first launches, allocator.
        for batch in batches.prefix(2) { _ = try trainer.trainStep(batch, learningRateScale: 1) }
        let trainSeconds = try time {
            for step in 0..<steps { _ = try trainer.trainStep(batches[step % batches.count], learningRateScale: 1) }
        }
        _ = try trainer.predict(Array(batches.prefix(1)))
        let inferenceSteps = steps * 3
        // One call over all batches, as `recur eval` and `predict` make: whatever it prepares for the pass
        // (an input projection table) is timed with it.
        let inferenceBatches = (0..<inferenceSteps).map { batches[$0 % batches.count] }
        let inferenceSeconds = try time { _ = try trainer.predict(inferenceBatches) }
        let trainRate = tokensPerBatch * Double(steps) / trainSeconds
        let inferenceRate = tokensPerBatch * Double(inferenceSteps) / inferenceSeconds
        let rssMiB = Double(peakResidentBytes()) / 1_048_576
        // The same pass with int8 weights (`predict --int8`), where the backend has an int8 GEMM; the model
        // trains no more, so it can be quantized now.
        var int8Rate: Double?
        if backend is CPUBackend {
            try model.quantizeForInference(on: backend)
            _ = try trainer.predict(Array(batches.prefix(1)))
            int8Rate = tokensPerBatch * Double(inferenceSteps) / (try time { _ = try trainer.predict(inferenceBatches) })
        }
        if json {
            let int8Field = int8Rate.map { ", \"int8_inference_tokens_per_s\": \(Int($0))" } ?? ""
            print("{\"device\": \"\(backend.name)\", \"cell\": \"\(cell)\", \"hidden\": \(hidden), \"train_tokens_per_s\": \(Int(trainRate)), \"inference_tokens_per_s\": \(Int(inferenceRate))\(int8Field), \"peak_rss_mib\": \(Int(rssMiB))}")
        } else {
            print("\(cell) V\(vocab) E\(embeddingDim) H\(hidden) B\(batchSize) T\(seqLen), Adam, on \(backend.name)")
            print(String(format: "train:     %8.0f tokens/s  (%.1f ms/step)", trainRate, trainSeconds / Double(steps) * 1000))
            print(String(format: "inference: %8.0f tokens/s  (%.1f ms/batch)", inferenceRate, inferenceSeconds / Double(inferenceSteps) * 1000))
            if let int8Rate {
                print(String(format: "int8:      %8.0f tokens/s  (%.2fx fp32; --int8)", int8Rate, int8Rate / inferenceRate))
            }
            print(String(format: "peak RSS:  %8.0f MiB (before int8)", rssMiB))
        }
    }
}

/// The process's peak resident set size (Linux reports `ru_maxrss` in KiB).
func peakResidentBytes() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return usage.ru_maxrss * 1024
}
