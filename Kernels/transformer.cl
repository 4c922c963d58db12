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

__kernel void activation_forward(const int function, __global const float* x, const int xOffset,
                                 __global float* y, const int yOffset, const int n) {
    const int i = get_global_id(0);
    if (i >= n) return;
    const float v = x[xOffset + i];
    y[yOffset + i] = function == ACTIVATION_GELU ? v * 0.5f * (1.0f + erf(v * 0.70710678f)) : tanh(v);
}

// GELU reads the input x (slope Φ(x) + x φ(x)); tanh reads the output y (slope 1 - y²). dx may be dy.
__kernel void activation_backward(const int function, __global const float* dy, const int dyOffset,
                                  __global const float* source, const int sourceOffset,
                                  __global float* dx, const int dxOffset, const int n) {
    const int i = get_global_id(0);
    if (i >= n) return;
    const float v = source[sourceOffset + i];
    const float slope = function == ACTIVATION_GELU
        ? 0.5f * (1.0f + erf(v * 0.70710678f)) + v * exp(-0.5f * v * v) * 0.39894228f
        : 1.0f - v * v;
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
