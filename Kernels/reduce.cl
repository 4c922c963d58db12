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

// Stage 1 for CPU devices: partial w sums the contiguous chunk [w * chunk, (w + 1) * chunk) in eight float
// lanes (chunk a multiple of 8). PoCL runs a work-item's loop as it is, so a strided walk touches one float
// per cache line; this one streams (the gradient-norm of a 22M-parameter model: 5% of a step to under 1%).
__kernel void sum_partials8(__global const float* x, const int xOffset, const int n, const int squares,
                            __global float* partials, const int partialsOffset, const int partialCount, const int chunk) {
    const int w = get_global_id(0);
    if (w >= partialCount) return;
    const int start = w * chunk, end = min(n, start + chunk);
    float8 lanes = (float8)(0.0f);
    int i = start;
    for (; i + 8 <= end; i += 8) {
        const float8 v = vload8(0, x + xOffset + i);
        lanes = squares ? fma(v, v, lanes) : lanes + v;
    }
    float total = ((lanes.s0 + lanes.s1) + (lanes.s2 + lanes.s3)) + ((lanes.s4 + lanes.s5) + (lanes.s6 + lanes.s7));
    for (; i < end; ++i) { const float v = x[xOffset + i]; total = squares ? fma(v, v, total) : total + v; }
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

// clip_scale for 8 neighbouring elements per work-item: the coefficient once per vector, not per element.
__kernel void clip_scale8(__global float* x, const int xOffset, const int n,
                          __global const float* normSquared, const int normOffset, const float maxNorm) {
    const int i = get_global_id(0) * 8;
    if (i >= n) return;
    const float coefficient = fmin(1.0f, maxNorm / (sqrt(normSquared[normOffset]) + 1e-6f));
    if (i + 8 <= n) {
        vstore8(vload8(0, x + xOffset + i) * coefficient, 0, x + xOffset + i);
    } else {
        for (int j = i; j < n; ++j) x[xOffset + j] *= coefficient;
    }
}
