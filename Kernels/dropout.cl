// Dropout masks from a counter-based hash: element i's draw depends only on (seed, i), bit for bit the
// same function as DropoutRNG in Sources/RecurCore/DropoutRNG.swift, so the CPU and OpenCL masks agree.

inline uint dropout_pcg_hash(uint input) {
    const uint state = input * 747796405u + 2891336453u;
    const uint word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
    return (word >> 22u) ^ word;
}

// A uniform float in [0, 1) with 24 random bits.
inline float dropout_uniform(uint seedLow, uint seedHigh, uint index) {
    const uint h = dropout_pcg_hash(index ^ dropout_pcg_hash(seedLow ^ dropout_pcg_hash(seedHigh)));
    return (float)(h >> 8) * (1.0f / 16777216.0f);
}

// mask[i] = uniform(seed, i) >= p ? keepScale : 0, keepScale = 1 / (1 - p) computed once on the host.
__kernel void dropout_mask(__global float* mask, const int maskOffset, const int n,
                           const float p, const float keepScale, const uint seedLow, const uint seedHigh) {
    const int i = get_global_id(0);
    if (i >= n) return;
    mask[maskOffset + i] = dropout_uniform(seedLow, seedHigh, (uint)i) >= p ? keepScale : 0.0f;
}
