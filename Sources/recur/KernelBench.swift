import ArgumentParser
import Foundation
import Recur
import RecurCore
import RecurOpenCL

/// `recur bench kernels`: every kernel family, each first checked against the CPU backend (and GEMM
/// against double-precision dot products), then timed. A wrong kernel fails the run instead of being timed.
struct KernelBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernels", abstract: "Check, then time, every kernel family: GFLOP/s, GB/s and microseconds per call.")

    @Option(help: "Seconds to time each kernel; the fastest batch of 8 calls in them counts.") var seconds = 0.3
    @Option(help: "The device's FP32 peak in GFLOP/s for the % of peak column (default: measured on this CPU for the CPU backend and OpenCL CPU devices; none for GPUs).")
    var peakGflops: Double?
    @OptionGroup var device: DeviceOption

    /// One kernel case: builds its inputs on a backend and returns the call to time and the outputs to check.
    struct Case {
        let name: String
        /// Floating-point operations per call (GEMM) or bytes moved per call (everything else).
        let flops: Double
        let bytes: Double
        let tolerance: Float
        let prepare: (Backend, inout WeightInitializerSource) throws -> (call: () throws -> Void, outputs: [Tensor])
    }

    func run() throws {
        let (backend, reason) = try device.makeBackend()
        log("device: \(backend.name) — \(reason)")
        let peak = peakGflops ?? ((backend as? OpenCLBackend)?.device.isGPU == true ? nil : CPUPeak.measureGflops())
        if let peak { log(String(format: "FP32 peak: %.0f GFLOP/s%@", peak, peakGflops == nil ? " (measured: independent FMAs on every thread)" : "")) }
        let reference = CPUBackend()
        print("| kernel | check (max abs diff) | us/call | GFLOP/s | % of peak | GB/s |")
        print("|---|---|---|---|---|---|")
        var failures: [String] = []
        for kernel in Self.cases() {
            var deviceInputs = WeightInitializerSource(seed: 11), referenceInputs = WeightInitializerSource(seed: 11)
            let onDevice = try kernel.prepare(backend, &deviceInputs)
            let onReference = try kernel.prepare(reference, &referenceInputs)
            try onDevice.call()
            try onReference.call()
            var difference: Float = 0
            for (a, b) in zip(onDevice.outputs, onReference.outputs) {
                let x = try backend.download(a), y = try reference.download(b)
                for i in x.indices { difference = max(difference, abs(x[i] - y[i]) / max(1, abs(y[i]))) }
            }
            if let gemm = Self.gemmShape(kernel.name) {
                difference = max(difference, try Self.sampledGEMMError(gemm, inputs: 11, on: backend))
            }
            let passed = difference <= kernel.tolerance && difference.isFinite
            if !passed { failures.append("\(kernel.name): max difference \(difference) > \(kernel.tolerance)") }

            // The fastest batch of 8 calls within the time, as timeit and the baselines' scripts take it:
            // on a shared machine the mean mostly measures the neighbours.
            let start = DispatchTime.now().uptimeNanoseconds
            var perCall = Double.infinity
            repeat {
                let batchStart = DispatchTime.now().uptimeNanoseconds
                for _ in 0..<8 { try onDevice.call() }
                try backend.synchronize()
                perCall = min(perCall, Double(DispatchTime.now().uptimeNanoseconds - batchStart) / 1e9 / 8)
            } while Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 < seconds
            let gflops = kernel.flops > 0 ? kernel.flops / perCall / 1e9 : nil
            let check: String = (passed ? "ok " : "FAIL ") + String(format: "%.1e", difference)
            let microseconds: String = String(format: "%.1f", perCall * 1e6)
            let rate: String = gflops.map { String(format: "%.1f", $0) } ?? ""
            let ofPeak: String = gflops.flatMap { rate in peak.map { String(format: "%.0f%%", 100 * rate / $0) } } ?? ""
            let bandwidth: String = kernel.bytes > 0 ? String(format: "%.1f", kernel.bytes / perCall / 1e9) : ""
            print("| \(kernel.name) | \(check) | \(microseconds) | \(rate) | \(ofPeak) | \(bandwidth) |")
        }
        if !failures.isEmpty {
            throw ValidationError("kernels disagree with the CPU reference:\n" + failures.joined(separator: "\n"))
        }
    }

    // MARK: The cases

    static func gemmShape(_ name: String) -> (Transpose, Transpose, Int, Int, Int)? {
        gemmShapes.first { gemmName($0) == name }
    }

    static let gemmShapes: [(Transpose, Transpose, Int, Int, Int)] = [
        (.none, .none, 64, 1024, 384), (.none, .none, 512, 512, 512), (.none, .none, 4096, 1024, 128),
        // Recurrent steps (h·W_hhᵀ for LSTM H256, GRU H256, LSTM H512), and the weight gradient over a batch.
        (.none, .transposed, 64, 1024, 256), (.none, .transposed, 64, 768, 256), (.none, .transposed, 64, 2048, 512),
        (.transposed, .none, 1024, 256, 4096),
    ]

    static func gemmName(_ shape: (Transpose, Transpose, Int, Int, Int)) -> String {
        "gemm \(shape.0 == .none ? "N" : "T")\(shape.1 == .none ? "N" : "T") \(shape.2)x\(shape.3)x\(shape.4)"
            + (isRecurrentStep(shape) ? " (W_hh prepared)" : "")
    }

    /// h·W_hhᵀ: timed as a recurrence runs it, with W_hh prepared once per batch (`prepareGEMMOperand`).
    static func isRecurrentStep(_ shape: (Transpose, Transpose, Int, Int, Int)) -> Bool {
        shape.0 == .none && shape.1 == .transposed && shape.2 == 64
    }

    static func cases() -> [Case] {
        var cases: [Case] = gemmShapes.map { shape in
            let (ta, tb, m, n, k) = shape
            // Float32 rounding grows with the depth of the sums.
            let tolerance = Float(1e-4 * max(1, (Double(k) / 256).squareRoot()))
            return Case(name: gemmName(shape), flops: 2 * Double(m * n * k), bytes: 0, tolerance: tolerance) { backend, inputs in
                let a = try inputs.tensor(ta == .none ? [m, k] : [k, m], on: backend)
                let b = try inputs.tensor(tb == .none ? [k, n] : [n, k], on: backend)
                let c = try backend.zeros([m, n], dtype: .float32)
                if isRecurrentStep(shape) {
                    let prepared = try backend.prepareGEMMOperand(b.matrix, tb, k: k, n: n)
                    return ({ try backend.gemm(ta, m: m, alpha: 1, a: a.matrix, b: prepared, beta: 0, c: c.matrix) }, [c])
                }
                return ({ try backend.gemm(ta, tb, m: m, n: n, k: k, alpha: 1, a: a.matrix, b: b.matrix, beta: 0, c: c.matrix) }, [c])
            }
        }
        let B = 64, H = 256
        cases.append(Case(name: "lstm cell forward B64 H256", flops: 0, bytes: Double(B * H * 4 * (4 * 2 + 5)), tolerance: 1e-5) { backend, inputs in
            let preactivations = try inputs.tensor([B, 4 * H], on: backend)
            let gates = try backend.zeros([B, 4 * H], dtype: .float32)
            let c = try inputs.tensor([B, H], on: backend), h = try inputs.tensor([B, H], on: backend)
            let cNext = try backend.zeros([B, H], dtype: .float32), hNext = try backend.zeros([B, H], dtype: .float32)
            let output = try backend.zeros([B, H], dtype: .float32)
            return ({
                try backend.copy(preactivations, to: gates)
                try backend.lstmCellForward(gates: gates, cPrev: c, hPrev: h, cNext: cNext, hNext: hNext, output: output, lengths: nil, t: 0)
            }, [gates, cNext, hNext, output])
        })
        cases.append(Case(name: "lstm cell backward B64 H256", flops: 0, bytes: Double(B * H * 4 * (4 * 2 + 7)), tolerance: 1e-5) { backend, inputs in
            let gates = try inputs.probabilities([B, 4 * H], on: backend)
            let cPrev = try inputs.tensor([B, H], on: backend), cNext = try inputs.tensor([B, H], on: backend)
            let dOutput = try inputs.tensor([B, H], on: backend)
            let dhStart = try inputs.tensor([B, H], on: backend), dcStart = try inputs.tensor([B, H], on: backend)
            let dh = try backend.zeros([B, H], dtype: .float32), dc = try backend.zeros([B, H], dtype: .float32)
            let dGates = try backend.zeros([B, 4 * H], dtype: .float32)
            return ({
                try backend.copy(dhStart, to: dh)
                try backend.copy(dcStart, to: dc)
                try backend.lstmCellBackward(gates: gates, cPrev: cPrev, cNext: cNext, dOutput: dOutput, dh: dh, dc: dc,
                                             dGates: dGates, lengths: nil, t: 0)
            }, [dh, dc, dGates])
        })
        cases.append(Case(name: "gru cell forward B64 H256", flops: 0, bytes: Double(B * H * 4 * (3 * 3 + 3)), tolerance: 1e-5) { backend, inputs in
            let preactivations = try inputs.tensor([B, 3 * H], on: backend)
            let gates = try backend.zeros([B, 3 * H], dtype: .float32)
            let hidden = try inputs.tensor([B, 3 * H], on: backend), h = try inputs.tensor([B, H], on: backend)
            let hNext = try backend.zeros([B, H], dtype: .float32), output = try backend.zeros([B, H], dtype: .float32)
            return ({
                try backend.copy(preactivations, to: gates)
                try backend.gruCellForward(inputGates: gates, hiddenGates: hidden, hPrev: h, hNext: hNext, output: output, lengths: nil, t: 0)
            }, [gates, hNext, output])
        })
        cases.append(Case(name: "gru cell backward B64 H256", flops: 0, bytes: Double(B * H * 4 * (3 * 4 + 4)), tolerance: 1e-5) { backend, inputs in
            let gates = try inputs.probabilities([B, 3 * H], on: backend), hidden = try inputs.tensor([B, 3 * H], on: backend)
            let hPrev = try inputs.tensor([B, H], on: backend), dOutput = try inputs.tensor([B, H], on: backend)
            let dhStart = try inputs.tensor([B, H], on: backend), dh = try backend.zeros([B, H], dtype: .float32)
            let dInput = try backend.zeros([B, 3 * H], dtype: .float32), dHidden = try backend.zeros([B, 3 * H], dtype: .float32)
            return ({
                try backend.copy(dhStart, to: dh)
                try backend.gruCellBackward(inputGates: gates, hiddenGates: hidden, hPrev: hPrev, dOutput: dOutput, dh: dh,
                                            dInputGates: dInput, dHiddenGates: dHidden, lengths: nil, t: 0)
            }, [dh, dInput, dHidden])
        })
        let classes = 20_000
        cases.append(Case(name: "softmax + cross-entropy 64x20000", flops: 0, bytes: Double(B * classes * 4 * 2), tolerance: 1e-5) { backend, inputs in
            let logits = try inputs.tensor([B, classes], on: backend)
            let targets = try backend.upload((0..<B).map { Int32($0 * 311 % classes) }, shape: [B])
            let probabilities = try backend.zeros([B, classes], dtype: .float32), losses = try backend.zeros([B], dtype: .float32)
            return ({
                try backend.softmaxCrossEntropy(logits: logits, targets: targets, classWeights: nil, ignoreIndex: nil,
                                                probabilities: probabilities, rowLosses: losses)
            }, [probabilities, losses])
        })
        let tokens = 4096, dimension = 128, vocabulary = 20_000
        cases.append(Case(name: "embedding gather 4096x128", flops: 0, bytes: Double(tokens * dimension * 4 * 2), tolerance: 0) { backend, inputs in
            let weight = try inputs.tensor([vocabulary, dimension], on: backend)
            let ids = try backend.upload((0..<tokens).map { Int32($0 * 7919 % vocabulary) }, shape: [tokens])
            let output = try backend.zeros([tokens, dimension], dtype: .float32)
            return ({ try backend.embeddingForward(weight: weight, tokens: ids, output: output) }, [output])
        })
        cases.append(Case(name: "embedding scatter-add 4096x128", flops: 0, bytes: Double(tokens * dimension * 4 * 3), tolerance: 1e-5) { backend, inputs in
            let dOutput = try inputs.tensor([tokens, dimension], on: backend)
            let ids = try backend.upload((0..<tokens).map { Int32($0 * 7919 % 3000) }, shape: [tokens])
            let dWeight = try backend.zeros([vocabulary, dimension], dtype: .float32)
            return ({
                try backend.fill(dWeight, with: 0)
                try backend.embeddingBackward(dOutput: dOutput, tokens: ids, dWeight: dWeight, paddingIndex: 0)
            }, [dWeight])
        })
        let parameters = 2_963_458  // the benchmark LSTM classifier: embedding 20000x128 + LSTM 128->256 + fc
        cases.append(Case(name: "adam update 2.96M parameters", flops: 0, bytes: Double(parameters * 4 * 7), tolerance: 1e-6) { backend, inputs in
            let parameter = try inputs.tensor([parameters], on: backend), gradient = try inputs.tensor([parameters], on: backend)
            let m = try backend.zeros([parameters], dtype: .float32), v = try backend.zeros([parameters], dtype: .float32)
            return ({ try backend.adamUpdate(parameter: parameter, gradient: gradient, m: m, v: v, step: 1, hyper: AdamHyper(learningRate: 1e-3)) },
                    [parameter])
        })
        return cases
    }

    /// Largest relative error of 256 sampled entries of a GEMM against double-precision dot products.
    static func sampledGEMMError(_ shape: (Transpose, Transpose, Int, Int, Int), inputs seed: UInt64, on backend: Backend) throws -> Float {
        let (ta, tb, m, n, k) = shape
        var inputs = WeightInitializerSource(seed: seed)
        let aValues = inputs.values(m * k), bValues = inputs.values(k * n)
        let a = try backend.upload(aValues, shape: ta == .none ? [m, k] : [k, m])
        let b = try backend.upload(bValues, shape: tb == .none ? [k, n] : [n, k])
        let c = try backend.zeros([m, n], dtype: .float32)
        try backend.gemm(ta, tb, m: m, n: n, k: k, alpha: 1, a: a.matrix, b: b.matrix, beta: 0, c: c.matrix)
        let result = try backend.download(c)
        var worst: Float = 0
        for sample in 0..<256 {
            let i = sample * 7919 % m, j = sample * 104_729 % n
            var dot = 0.0
            for p in 0..<k {
                let x = ta == .none ? aValues[i * k + p] : aValues[p * m + i]
                let y = tb == .none ? bValues[p * n + j] : bValues[j * k + p]
                dot += Double(x) * Double(y)
            }
            worst = max(worst, Float(abs(Double(result[i * n + j]) - dot) / max(1, abs(dot))))
        }
        return worst
    }
}

/// Seeded inputs for kernel cases: the same seed gives the device and the reference the same numbers.
struct WeightInitializerSource {
    private var generator: Recur.WeightInitializer
    init(seed: UInt64) { generator = Recur.WeightInitializer(seed: seed) }

    mutating func values(_ count: Int) -> [Float] { generator.uniform(count: count, bound: 1) }

    mutating func tensor(_ shape: [Int], on backend: Backend) throws -> Tensor {
        try backend.upload(values(shape.reduce(1, *)), shape: shape)
    }

    /// Values in (0, 1), like gate activations.
    mutating func probabilities(_ shape: [Int], on backend: Backend) throws -> Tensor {
        try backend.upload(values(shape.reduce(1, *)).map { 0.5 + 0.49 * $0 }, shape: shape)
    }
}
