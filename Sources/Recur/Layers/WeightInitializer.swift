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
        // The uniforms come from the stream in order (they decide the weights); the logarithms and sines,
        // nearly all of the time for a large embedding, then run on every core with the same results.
        let pairs = (count + 1) / 2
        var uniforms = [Double](repeating: 0, count: 2 * pairs)
        for pair in 0..<pairs {
            uniforms[2 * pair] = Double.random(in: Double.ulpOfOne..<1, using: &self)
            uniforms[2 * pair + 1] = Double.random(in: 0..<1, using: &self)
        }
        var values = [Float](repeating: 0, count: 2 * pairs)
        let chunkPairs = 1 << 14
        let chunks = (pairs + chunkPairs - 1) / chunkPairs
        uniforms.withUnsafeBufferPointer { uniforms in
            values.withUnsafeMutableBufferPointer { values in
                nonisolated(unsafe) let values = values
                DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                    for pair in chunk * chunkPairs..<min(pairs, (chunk + 1) * chunkPairs) {
                        let radius = (-2 * log(uniforms[2 * pair])).squareRoot()
                        let angle = 2 * Double.pi * uniforms[2 * pair + 1]
                        values[2 * pair] = Float(radius * cos(angle)) * std
                        values[2 * pair + 1] = Float(radius * sin(angle)) * std
                    }
                }
            }
        }
        if values.count > count { values.removeLast() }
        return values
    }
}
