import Foundation
@testable import RecurCore

/// A small deterministic generator (SplitMix64) so every test sees the same numbers on every run.
struct SeededRandom {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [low, high).
    mutating func uniform(_ low: Float = -1, _ high: Float = 1) -> Float {
        low + (high - low) * Float(next() >> 40) / Float(1 << 24)
    }

    mutating func floats(_ count: Int, _ low: Float = -1, _ high: Float = 1) -> [Float] {
        (0..<count).map { _ in uniform(low, high) }
    }

    mutating func int(below bound: Int) -> Int { Int(next() % UInt64(bound)) }
}

/// Largest |actual − expected| / max(1, |expected|) — an absolute error for small values, relative for large.
func maxScaledError(_ actual: [Float], _ expected: [Double]) -> Double {
    precondition(actual.count == expected.count, "length mismatch \(actual.count) vs \(expected.count)")
    var worst = 0.0
    for (a, e) in zip(actual, expected) {
        let error = abs(Double(a) - e) / max(1, abs(e))
        if error.isNaN { return .infinity }
        worst = max(worst, error)
    }
    return worst
}

func maxScaledError(_ actual: [Float], _ expected: [Float]) -> Double {
    maxScaledError(actual, expected.map(Double.init))
}

/// Central finite differences of a Double function with respect to each input element.
func numericalGradient(of loss: ([Double]) -> Double, at point: [Double], step: Double = 1e-5) -> [Double] {
    var x = point
    return (0..<point.count).map { i in
        let saved = x[i]
        x[i] = saved + step
        let up = loss(x)
        x[i] = saved - step
        let down = loss(x)
        x[i] = saved
        return (up - down) / (2 * step)
    }
}

func dot(_ a: [Double], _ b: [Float]) -> Double {
    zip(a, b).reduce(0) { $0 + $1.0 * Double($1.1) }
}

func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }

extension Array where Element == Float {
    var doubles: [Double] { map(Double.init) }
}
