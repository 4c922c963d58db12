import ArgumentParser
import Foundation
import RecurCore

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Measure kernels and training speed on this machine.",
        subcommands: [GemmBench.self, KernelBench.self, TrainBench.self, StartupBench.self]
    )
}

/// `recur bench gemm`: C = A·B throughput at one shape.
struct GemmBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "gemm", abstract: "Time SGEMM C[m,n] = A[m,k]·B[k,n] and print GFLOP/s.")

    @Option(help: "Rows of A and C.") var m = 512
    @Option(help: "Columns of B and C.") var n = 512
    @Option(help: "Columns of A, rows of B.") var k = 512
    @Flag(help: "Use A transposed (A is stored k x m).") var transA = false
    @Flag(help: "Use B transposed (B is stored n x k).") var transB = false
    @Flag(help: "Prepare (pack) B once, as a recurrence does with W_hh.") var prepared = false
    @Flag(help: "Quantize B to int8 once and multiply in integers (predict --int8; CPU backend, A not transposed).") var int8 = false
    @Option(help: "Seconds to measure for each repeat.") var seconds = 0.5
    @Option(help: "Repeats; the median is reported.") var repeats = 5
    @OptionGroup var deviceOption: DeviceOption

    func validate() throws {
        guard m > 0, n > 0, k > 0 else { throw ValidationError("--m, --n and --k must be positive") }
        guard repeats > 0, seconds > 0 else { throw ValidationError("--repeats and --seconds must be positive") }
        if (prepared || int8) && transA { throw ValidationError("--prepared and --int8 take A as it is: leave out --trans-a") }
    }

    func run() throws {
        let (backend, reason) = try deviceOption.makeBackend()
        print("device: \(backend.name) — \(reason)")
        var generator = SystemRandomNumberGenerator()
        let a = try backend.upload((0..<(m * k)).map { _ in Float.random(in: -1...1, using: &generator) }, shape: transA ? [k, m] : [m, k])
        let b = try backend.upload((0..<(k * n)).map { _ in Float.random(in: -1...1, using: &generator) }, shape: transB ? [n, k] : [k, n])
        let c = try backend.zeros([m, n], dtype: .float32)
        let transposeB: Transpose = transB ? .transposed : .none
        let preparedB = int8 ? try backend.prepareInt8GEMMOperand(b.matrix, transposeB, k: k, n: n)
            : prepared ? try backend.prepareGEMMOperand(b.matrix, transposeB, k: k, n: n) : nil
        func multiply() throws {
            if let preparedB {
                try backend.gemm(.none, m: m, alpha: 1, a: a.matrix, b: preparedB, beta: 0, c: c.matrix)
            } else {
                try backend.gemm(transA ? .transposed : .none, transposeB, m: m, n: n, k: k, alpha: 1,
                                 a: a.matrix, b: b.matrix, beta: 0, c: c.matrix)
            }
        }
        // Warm up (kernel build, first launch, page faults) and size a batch of calls to ~1/10 of a repeat.
        try multiply()
        try backend.synchronize()
        var calls = 1
        while true {
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<calls { try multiply() }
            try backend.synchronize()
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if elapsed >= seconds / 10 || calls >= 1 << 20 { break }
            calls *= 2
        }
        var rates: [Double] = []
        for _ in 0..<repeats {
            var done = 0
            let start = DispatchTime.now().uptimeNanoseconds
            var elapsed = 0.0
            while elapsed < seconds {
                for _ in 0..<calls { try multiply() }
                try backend.synchronize()
                done += calls
                elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            }
            rates.append(2 * Double(m) * Double(n) * Double(k) * Double(done) / elapsed / 1e9)
        }
        rates.sort()
        let median = rates[rates.count / 2]
        let form = (transA ? "T" : "N") + (transB ? "T" : "N") + (int8 ? " int8" : prepared ? " prepared" : "")
        let unit = int8 ? "GOP/s" : "GFLOP/s"
        print("gemm \(form) " + String(format: "%dx%dx%d: %.1f \(unit) (median of %d; min %.1f, max %.1f)",
                                         m, n, k, median, repeats, rates.first!, rates.last!))
    }
}
