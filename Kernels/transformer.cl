// The Transformer encoder's ops: layer norm, GELU (erf form, as BERT) and tanh, batched GEMM for the attention
// heads, and the attention softmax with its padding mask and backward. Sums run in the same order as the CPU
// backend's (Sources/RecurCore/CPU/CPUTransformerOps.swift), so the backends agree to rounding.

#define ACTIVATION_GELU 0
#define ACTIVATION_TANH 1

// beta == 0 overwrites C, whatever it held (even NaN), as BLAS does.
inline float batched_combine(const float alpha, const float total, const float beta, const float old) {
    return beta == 0.0f ? alpha * total : fma(beta, old, alpha * total);
}

// One work-item per row: mean, 1/sqrt(variance + eps), then the affine normalised row.
__kernel void layernorm_forward(__global const float* x, const int xOffset,
                                __global const float* gamma, const int gammaOffset,
                                __global const float* beta, const int betaOffset, const float epsilon,
                                __global float* y, const int yOffset,
                                __global float* mean, const int meanOffset,
                                __global float* rstd, const int rstdOffset, const int rows, const int columns) {
    const int r = get_global_id(0);
    if (r >= rows) return;
    const __global float* row = x + xOffset + r * columns;
    __global float* out = y + yOffset + r * columns;
    float sum = 0.0f;
    for (int c = 0; c < columns; ++c) sum += row[c];
    const float mu = sum / (float)columns;
    float squares = 0.0f;
    for (int c = 0; c < columns; ++c) {
        const float d = row[c] - mu;
        squares += d * d;
    }
    const float inverse = 1.0f / sqrt(squares / (float)columns + epsilon);
    for (int c = 0; c < columns; ++c) out[c] = (row[c] - mu) * inverse * gamma[gammaOffset + c] + beta[betaOffset + c];
    mean[meanOffset + r] = mu;
    rstd[rstdOffset + r] = inverse;
}

// dGamma += sum_r dy * xhat, dBeta += sum_r dy: one work-item per column.
__kernel void layernorm_backward_parameters(__global const float* dy, const int dyOffset,
                                            __global const float* x, const int xOffset,
                                            __global const float* mean, const int meanOffset,
                                            __global const float* rstd, const int rstdOffset,
                                            __global float* dGamma, const int dGammaOffset,
                                            __global float* dBeta, const int dBetaOffset,
                                            const int rows, const int columns) {
    const int c = get_global_id(0);
    if (c >= columns) return;
    float sumDy = 0.0f, sumDyXhat = 0.0f;
    for (int r = 0; r < rows; ++r) {
        const float d = dy[dyOffset + r * columns + c];
        sumDy += d;
        sumDyXhat += d * (x[xOffset + r * columns + c] - mean[meanOffset + r]) * rstd[rstdOffset + r];
    }
    dBeta[dBetaOffset + c] += sumDy;
    dGamma[dGammaOffset + c] += sumDyXhat;
}

// dx = rstd * (g - mean(g) - xhat * mean(g * xhat)) with g = dy * gamma: one work-item per row (dx may be dy).
__kernel void layernorm_backward_input(__global const float* dy, const int dyOffset,
                                       __global const float* x, const int xOffset,
                                       __global const float* mean, const int meanOffset,
                                       __global const float* rstd, const int rstdOffset,
                                       __global const float* gamma, const int gammaOffset,
                                       __global float* dx, const int dxOffset, const int rows, const int columns) {
    const int r = get_global_id(0);
    if (r >= rows) return;
    const __global float* row = x + xOffset + r * columns;
    const __global float* d = dy + dyOffset + r * columns;
    __global float* out = dx + dxOffset + r * columns;
    const float mu = mean[meanOffset + r], inverse = rstd[rstdOffset + r];
    float sumG = 0.0f, sumGXhat = 0.0f;
    for (int c = 0; c < columns; ++c) {
        const float g = d[c] * gamma[gammaOffset + c];
        sumG += g;
        sumGXhat += g * (row[c] - mu) * inverse;
    }
    const float meanG = sumG / (float)columns, meanGXhat = sumGXhat / (float)columns;
    for (int c = 0; c < columns; ++c) {
        const float xhat = (row[c] - mu) * inverse;
        out[c] = inverse * (d[c] * gamma[gammaOffset + c] - meanG - xhat * meanGXhat);
    }
}

// Φ(x) = (1 + erf(x / √2)) / 2 with erf from Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7), as the
// CPU backend computes it: a polynomial and one exp, which vectorizes, where PoCL's erf is a scalar call
// (Sleef_erff_u10: a quarter of a MiniLM fine-tuning step). `gauss` is exp(-x²/2), shared with φ(x).
inline float normal_cdf(const float x, const float gauss) {
    const float a = fabs(x) * 0.70710678f;
    const float t = 1.0f / (1.0f + 0.3275911f * a);
    const float poly = t * (0.254829592f + t * (-0.284496736f + t * (1.421413741f + t * (-1.453152027f + t * 1.061405429f))));
    const float erf_abs = 1.0f - poly * gauss;
    return 0.5f * (1.0f + copysign(erf_abs, x));
}

__kernel void activation_forward(const int function, __global const float* x, const int xOffset,
                                 __global float* y, const int yOffset, const int n) {
    const int i = get_global_id(0);
    if (i >= n) return;
    const float v = x[xOffset + i];
    y[yOffset + i] = function == ACTIVATION_GELU ? v * normal_cdf(v, exp(-0.5f * v * v)) : tanh(v);
}

// GELU reads the input x (slope Φ(x) + x φ(x)); tanh reads the output y (slope 1 - y²). dx may be dy.
__kernel void activation_backward(const int function, __global const float* dy, const int dyOffset,
                                  __global const float* source, const int sourceOffset,
                                  __global float* dx, const int dxOffset, const int n) {
    const int i = get_global_id(0);
    if (i >= n) return;
    const float v = source[sourceOffset + i];
    float slope;
    if (function == ACTIVATION_GELU) {
        const float gauss = exp(-0.5f * v * v);
        slope = normal_cdf(v, gauss) + v * gauss * 0.39894228f;
    } else {
        slope = 1.0f - v * v;
    }
    dx[dxOffset + i] = dy[dyOffset + i] * slope;
}

// Matrix (o, i) of a batch starts `o * outer + i * inner` elements after the base (see StridedMatrices).
inline int batch_offset(const int index, const int innerCount, const int outerStride, const int innerStride) {
    return (index / innerCount) * outerStride + (index % innerCount) * innerStride;
}

// Batched GEMM, BATCHED_ROWS x BATCHED_COLS elements of C per work-item, the batch index in dimension 2.
// op(A)(i, p) = a[i*ars + p*acs], op(B)(p, j) = b[p*brs + j*bcs] within each matrix.
#define BATCHED_ROWS 4
#define BATCHED_COLS 4
__kernel void gemm_batched(
    const int M, const int N, const int K, const int innerCount, const float alpha,
    __global const float* a, const int aOffset, const int ars, const int acs, const int aOuter, const int aInner,
    __global const float* b, const int bOffset, const int brs, const int bcs, const int bOuter, const int bInner,
    const float beta, __global float* c, const int cOffset, const int ldc, const int cOuter, const int cInner)
{
    const int j0 = get_global_id(0) * BATCHED_COLS;
    const int i0 = get_global_id(1) * BATCHED_ROWS;
    const int index = get_global_id(2);
    if (i0 >= M || j0 >= N) return;
    const __global float* ap = a + aOffset + batch_offset(index, innerCount, aOuter, aInner);
    const __global float* bp = b + bOffset + batch_offset(index, innerCount, bOuter, bInner);
    __global float* cp = c + cOffset + batch_offset(index, innerCount, cOuter, cInner);
    float total[BATCHED_ROWS][BATCHED_COLS];
    for (int r = 0; r < BATCHED_ROWS; ++r)
        for (int s = 0; s < BATCHED_COLS; ++s) total[r][s] = 0.0f;
    const int rows = min(BATCHED_ROWS, M - i0), columns = min(BATCHED_COLS, N - j0);
    for (int p = 0; p < K; ++p) {
        float av[BATCHED_ROWS], bv[BATCHED_COLS];
        for (int r = 0; r < BATCHED_ROWS; ++r) av[r] = r < rows ? ap[(i0 + r) * ars + p * acs] : 0.0f;
        for (int s = 0; s < BATCHED_COLS; ++s) bv[s] = s < columns ? bp[p * brs + (j0 + s) * bcs] : 0.0f;
        for (int r = 0; r < BATCHED_ROWS; ++r)
            for (int s = 0; s < BATCHED_COLS; ++s) total[r][s] = fma(av[r], bv[s], total[r][s]);
    }
    for (int r = 0; r < rows; ++r)
        for (int s = 0; s < columns; ++s) {
            __global float* out = cp + (i0 + r) * ldc + j0 + s;
            *out = batched_combine(alpha, total[r][s], beta, *out);
        }
}

// Batched GEMM for CPU devices when op(B)'s rows are contiguous (bcs == 1) and N % 16 == 0 (a head's
// 32 columns: P·V, dS·K, Pᵀ·dC, dSᵀ·Q): 4 rows x 16 columns per work-item in float16 accumulators, op(A)
// read one scalar per row and step. PoCL runs each work-item's loop as written, so vectors must be explicit.
__kernel void gemm_batched_rows16(
    const int M, const int N, const int K, const int innerCount, const float alpha,
    __global const float* a, const int aOffset, const int ars, const int acs, const int aOuter, const int aInner,
    __global const float* b, const int bOffset, const int brs, const int bOuter, const int bInner,
    const float beta, __global float* c, const int cOffset, const int ldc, const int cOuter, const int cInner)
{
    const int j0 = get_global_id(0) * 16;
    const int i0 = get_global_id(1) * BATCHED_ROWS;
    const int index = get_global_id(2);
    if (i0 >= M || j0 >= N) return;
    const __global float* ap = a + aOffset + batch_offset(index, innerCount, aOuter, aInner);
    const __global float* bp = b + bOffset + batch_offset(index, innerCount, bOuter, bInner) + j0;
    __global float* cp = c + cOffset + batch_offset(index, innerCount, cOuter, cInner) + j0;
    const int rows = min(BATCHED_ROWS, M - i0);
    float16 total[BATCHED_ROWS];
    for (int r = 0; r < BATCHED_ROWS; ++r) total[r] = (float16)(0.0f);
    for (int p = 0; p < K; ++p) {
        const float16 bv = vload16(0, bp + p * brs);
        for (int r = 0; r < BATCHED_ROWS; ++r) {
            const float av = r < rows ? ap[(i0 + r) * ars + p * acs] : 0.0f;
            total[r] = fma((float16)(av), bv, total[r]);
        }
    }
    for (int r = 0; r < rows; ++r) {
        __global float* out = cp + (i0 + r) * ldc;
        const float16 result = beta == 0.0f ? alpha * total[r] : fma((float16)(beta), vload16(0, out), alpha * total[r]);
        vstore16(result, 0, out);
    }
}

// Batched GEMM for CPU devices when both operands run contiguously along k (acs == 1, brs == 1: Q·Kᵀ and
// dC·Vᵀ over a head's 32 dimensions): 4 x 4 dot products per work-item, 16 lanes of k at a time.
__kernel void gemm_batched_dot(
    const int M, const int N, const int K, const int innerCount, const float alpha,
    __global const float* a, const int aOffset, const int ars, const int aOuter, const int aInner,
    __global const float* b, const int bOffset, const int bcs, const int bOuter, const int bInner,
    const float beta, __global float* c, const int cOffset, const int ldc, const int cOuter, const int cInner)
{
    const int j0 = get_global_id(0) * BATCHED_COLS;
    const int i0 = get_global_id(1) * BATCHED_ROWS;
    const int index = get_global_id(2);
    if (i0 >= M || j0 >= N) return;
    const __global float* ap = a + aOffset + batch_offset(index, innerCount, aOuter, aInner);
    const __global float* bp = b + bOffset + batch_offset(index, innerCount, bOuter, bInner);
    __global float* cp = c + cOffset + batch_offset(index, innerCount, cOuter, cInner);
    const int rows = min(BATCHED_ROWS, M - i0), columns = min(BATCHED_COLS, N - j0);
    const __global float* aRow[BATCHED_ROWS];
    const __global float* bRow[BATCHED_COLS];
    for (int r = 0; r < BATCHED_ROWS; ++r) aRow[r] = ap + min(i0 + r, M - 1) * ars;
    for (int s = 0; s < BATCHED_COLS; ++s) bRow[s] = bp + min(j0 + s, N - 1) * bcs;
    float16 lanes[BATCHED_ROWS][BATCHED_COLS];
    for (int r = 0; r < BATCHED_ROWS; ++r)
        for (int s = 0; s < BATCHED_COLS; ++s) lanes[r][s] = (float16)(0.0f);
    const int kVector = K & ~15;
    for (int p = 0; p < kVector; p += 16) {
        float16 bv[BATCHED_COLS];
        for (int s = 0; s < BATCHED_COLS; ++s) bv[s] = vload16(0, bRow[s] + p);
        for (int r = 0; r < BATCHED_ROWS; ++r) {
            const float16 av = vload16(0, aRow[r] + p);
            for (int s = 0; s < BATCHED_COLS; ++s) lanes[r][s] = fma(av, bv[s], lanes[r][s]);
        }
    }
    for (int r = 0; r < rows; ++r)
        for (int s = 0; s < columns; ++s) {
            const float16 v = lanes[r][s];
            float total = ((v.s0 + v.s1) + (v.s2 + v.s3)) + ((v.s4 + v.s5) + (v.s6 + v.s7))
                + ((v.s8 + v.s9) + (v.sa + v.sb)) + ((v.sc + v.sd) + (v.se + v.sf));
            for (int p = kVector; p < K; ++p) total = fma(aRow[r][p], bRow[s][p], total);
            __global float* out = cp + (i0 + r) * ldc + j0 + s;
            *out = batched_combine(alpha, total, beta, *out);
        }
}

// One work-item per row of scores: softmax over the first keyLengths[row / rowsPerSequence] entries, 0 after.
__kernel void masked_softmax(__global float* scores, const int scoresOffset,
                             __global const int* lengths, const int lengthsOffset, const int hasLengths,
                             const int rows, const int columns, const int rowsPerSequence) {
    const int r = get_global_id(0);
    if (r >= rows) return;
    __global float* row = scores + scoresOffset + r * columns;
    const int valid = hasLengths ? clamp(lengths[lengthsOffset + r / rowsPerSequence], 0, columns) : columns;
    float largest = -INFINITY;
    for (int j = 0; j < valid; ++j) largest = fmax(largest, row[j]);
    float sum = 0.0f;
    for (int j = 0; j < valid; ++j) {
        row[j] = exp(row[j] - largest);
        sum += row[j];
    }
    const float inverse = valid > 0 ? 1.0f / sum : 0.0f;
    for (int j = 0; j < valid; ++j) row[j] *= inverse;
    for (int j = valid; j < columns; ++j) row[j] = 0.0f;
}

// dScores = p * (dP - sum_j p * dP), one work-item per row (dScores may be dP).
__kernel void softmax_backward_rows(__global const float* p, const int pOffset,
                                    __global const float* dp, const int dpOffset,
                                    __global float* ds, const int dsOffset, const int rows, const int columns) {
    const int r = get_global_id(0);
    if (r >= rows) return;
    const __global float* pr = p + pOffset + r * columns;
    const __global float* dpr = dp + dpOffset + r * columns;
    __global float* dsr = ds + dsOffset + r * columns;
    float dot = 0.0f;
    for (int j = 0; j < columns; ++j) dot += pr[j] * dpr[j];
    for (int j = 0; j < columns; ++j) dsr[j] = pr[j] * (dpr[j] - dot);
}
