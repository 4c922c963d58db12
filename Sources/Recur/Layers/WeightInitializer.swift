import Foundation
import RecurCore
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

    /// `count` draws from N(0, std²): PyTorch's default for embeddings. One 64-bit word of the stream per
    /// pair of normals (Box-Muller, cos and sin; see `NormalSampling.boxMuller` for the mapping), drawn a
    /// block of 16 pairs at a time so that no array of words is built (a large embedding's would be
    /// megabytes of page faults).
    public mutating func normal(count: Int, std: Float = 1) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { output, initialized in
            withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 16) { block in
                for start in stride(from: 0, to: count, by: 2 * block.count) {
                    let values = min(2 * block.count, count - start)
                    for pair in 0..<(values + 1) / 2 { block[pair] = next() }
                    NormalSampling.boxMuller(words: UnsafeBufferPointer(block), std: std,
                                             output: UnsafeMutableBufferPointer(rebasing: output[start..<start + values]))
                }
            }
            initialized = count
        }
    }
}
