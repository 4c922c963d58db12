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

    /// `count` draws from N(0, std²) (Box-Muller): PyTorch's default for embeddings. Each pair of uniforms
    /// gives two normals (cos and sin), which halves the start-up cost of a large embedding.
    public mutating func normal(count: Int, std: Float = 1) -> [Float] {
        var values = [Float]()
        values.reserveCapacity(count + 1)
        while values.count < count {
            let radius = (-2 * log(Double.random(in: Double.ulpOfOne..<1, using: &self))).squareRoot()
            let angle = 2 * Double.pi * Double.random(in: 0..<1, using: &self)
            values.append(Float(radius * cos(angle)) * std)
            values.append(Float(radius * sin(angle)) * std)
        }
        if values.count > count { values.removeLast() }
        return values
    }
}
