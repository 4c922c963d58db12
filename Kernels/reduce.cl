// Deterministic reductions: fixed partitions summed in a fixed order, no atomics, so the same input gives
// the same bits on every run.

// vector[c] (+)= sum over r of matrix[r, c]; one work-item per column walks the rows in order.
__kernel void sum_rows(__global const float* m, const int mOffset, const int rows, const int columns,
                       __global float* v, const int vOffset, const int accumulate) {
    const int c = get_global_id(0);
    if (c >= columns) return;
    const __global float* p = m + mOffset + c;
    float total = 0.0f;
    for (int r = 0; r < rows; ++r) total += p[r * columns];
    v[vOffset + c] = accumulate ? v[vOffset + c] + total : total;
}

// sum_rows for 8 neighbouring columns per work-item (columns % 8 == 0): each row read is 32 contiguous bytes
// instead of one float per cache line, which a CPU runtime needs. Same order of additions per column, so
// the same bits as sum_rows.
__kernel void sum_rows8(__global const float* m, const int mOffset, const int rows, const int columns,
                        __global float* v, const int vOffset, const int accumulate) {
    const int c = get_global_id(0) * 8;
    if (c >= columns) return;
    const __global float* p = m + mOffset + c;
    float8 total = (float8)(0.0f);
    for (int r = 0; r < rows; ++r) total += vload8(0, p + r * columns);
    if (accumulate) total += vload8(0, v + vOffset + c);
    vstore8(total, 0, v + vOffset + c);
}

// Stage 1 of sum / sum of squares: partial w sums elements w, w + P, w + 2P, ... where P is the number of
// partials (neighbouring work-items read neighbouring elements: coalesced on GPUs, vectorizable on CPUs).
__kernel void sum_partials(__global const float* x, const int xOffset, const int n, const int squares,
                           __global float* partials, const int partialsOffset, const int partialCount) {
    const int w = get_global_id(0);
    if (w >= partialCount) return;
    float total = 0.0f;
    if (squares) {
        for (int i = w; i < n; i += partialCount) { const float v = x[xOffset + i]; total = fma(v, v, total); }
    } else {
        for (int i = w; i < n; i += partialCount) total += x[xOffset + i];
    }
    partials[partialsOffset + w] = total;
}

// Stage 2: one work-item adds the partials in order into result[0].
__kernel void sum_finish(__global const float* partials, const int partialsOffset, const int partialCount,
                         __global float* result, const int resultOffset, const int accumulate) {
    if (get_global_id(0) != 0) return;
    float total = 0.0f;
    for (int w = 0; w < partialCount; ++w) total += partials[partialsOffset + w];
    result[resultOffset] = accumulate ? result[resultOffset] + total : total;
}

// clip_grad_norm_: x *= min(1, maxNorm / (sqrt(normSquared) + 1e-6)), the coefficient computed on the device.
__kernel void clip_scale(__global float* x, const int xOffset, const int n,
                         __global const float* normSquared, const int normOffset, const float maxNorm) {
    const int i = get_global_id(0);
    if (i >= n) return;
    const float coefficient = fmin(1.0f, maxNorm / (sqrt(normSquared[normOffset]) + 1e-6f));
    x[xOffset + i] *= coefficient;
}
