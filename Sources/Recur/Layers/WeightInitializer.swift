import Foundation
import RecurText

/// Seeded host-side random numbers for weight initialisation (RecurText's xoshiro256**):
/// the same seed gives the same initial weights on every backend.
public struct WeightInitializer: RandomNumberGenerator {
    private var generator: Xoshiro256StarStar

    public init(seed: UInt64) { generator = Xoshiro256StarStar(seed: seed) }

    public mutating func next() -> UInt64 { generator.next() }

    /// `count` draws from U(-bound, bound): PyTorch's default for recurrent and linear layers.
    public mutating func uniform(count: Int, bound: Float) -> [Float] {
        (0..<count).map { _ in Float.random(in: -bound..<bound, using: &self) }
    }

    /// `count` draws from N(0, std²) (Box-Muller): PyTorch's default for embeddings.
    public mutating func normal(count: Int, std: Float = 1) -> [Float] {
        (0..<count).map { _ in
            let u1 = Double.random(in: Double.ulpOfOne..<1, using: &self)
            let u2 = Double.random(in: 0..<1, using: &self)
            return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)) * std
        }
    }
}
