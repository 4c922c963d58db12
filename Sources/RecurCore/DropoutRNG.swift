/// The counter-based random numbers behind dropout.
///
/// Each element's draw is a pure function of (seed, element index), so a mask needs no RNG state, any
/// thread or work-item can draw any element, and the CPU and OpenCL backends draw identical masks.
/// `Kernels/dropout.cl` implements the same function; the hash is PCG's output permutation
/// (Jarzynski & Olano, "Hash Functions for GPU Rendering", 2020), chained over the seed halves and the index.
public enum DropoutRNG {
    @inline(__always)
    public static func pcgHash(_ input: UInt32) -> UInt32 {
        let state = input &* 747_796_405 &+ 2_891_336_453
        let word = ((state >> ((state >> 28) &+ 4)) ^ state) &* 277_803_737
        return (word >> 22) ^ word
    }

    /// A uniform Float in [0, 1) with 24 random bits.
    @inline(__always)
    public static func uniform(seed: UInt64, index: UInt32) -> Float {
        let seedLow = UInt32(truncatingIfNeeded: seed)
        let seedHigh = UInt32(truncatingIfNeeded: seed >> 32)
        let h = pcgHash(index ^ pcgHash(seedLow ^ pcgHash(seedHigh)))
        return Float(h >> 8) * (1.0 / 16_777_216.0)
    }
}
