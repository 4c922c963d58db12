// Batch normalisation per column of a [B, F] matrix, over its rows (BatchNorm1d on a classifier head's
// features). One work-item per column: B is a batch (at most a few hundred rows), so a column's loop is short
// and the sums run in the same order as the CPU backend's.

__kernel void batchnorm_statistics(__global const float* x, const int xOffset, const int rows, const int columns,
                                   __global float* mean, const int meanOffset,
                                   __global float* variance, const int varianceOffset) {
    const int c = get_global_id(0);
    if (c >= columns) return;
    const __global float* p = x + xOffset + c;
    float sum = 0.0f;
    for (int r = 0; r < rows; ++r) sum += p[r * columns];
    const float mu = sum / (float)rows;
    float squares = 0.0f;
    for (int r = 0; r < rows; ++r) {
        const float d = p[r * columns] - mu;
        squares += d * d;
    }
    mean[meanOffset + c] = mu;
    variance[varianceOffset + c] = squares / (float)rows;
}

__kernel void batchnorm_apply(__global const float* x, const int xOffset,
                              __global const float* mean, const int meanOffset,
                              __global const float* variance, const int varianceOffset,
                              __global const float* gamma, const int gammaOffset,
                              __global const float* beta, const int betaOffset,
                              const float epsilon, __global float* y, const int yOffset, const int columns, const int n) {
    const int i = get_global_id(0);
    if (i >= n) return;
    const int c = i % columns;
    const float scale = gamma[gammaOffset + c] / sqrt(variance[varianceOffset + c] + epsilon);
    y[yOffset + i] = (x[xOffset + i] - mean[meanOffset + c]) * scale + beta[betaOffset + c];
}

// dx = gamma * invStd / B * (B * dy - sum(dy) - xhat * sum(dy * xhat)); dGamma += sum(dy * xhat); dBeta += sum(dy).
__kernel void batchnorm_backward(__global const float* dy, const int dyOffset,
                                 __global const float* x, const int xOffset,
                                 __global const float* mean, const int meanOffset,
                                 __global const float* variance, const int varianceOffset,
                                 __global const float* gamma, const int gammaOffset, const float epsilon,
                                 __global float* dx, const int dxOffset,
                                 __global float* dGamma, const int dGammaOffset,
                                 __global float* dBeta, const int dBetaOffset, const int rows, const int columns) {
    const int c = get_global_id(0);
    if (c >= columns) return;
    const float mu = mean[meanOffset + c];
    const float invStd = 1.0f / sqrt(variance[varianceOffset + c] + epsilon);
    float sumDy = 0.0f, sumDyXhat = 0.0f;
    for (int r = 0; r < rows; ++r) {
        const int i = r * columns + c;
        sumDy += dy[dyOffset + i];
        sumDyXhat += dy[dyOffset + i] * ((x[xOffset + i] - mu) * invStd);
    }
    dBeta[dBetaOffset + c] += sumDy;
    dGamma[dGammaOffset + c] += sumDyXhat;
    const float n = (float)rows, k = gamma[gammaOffset + c] * invStd / n;
    for (int r = 0; r < rows; ++r) {
        const int i = r * columns + c;
        const float xhat = (x[xOffset + i] - mu) * invStd;
        dx[dxOffset + i] = k * (n * dy[dyOffset + i] - sumDy - xhat * sumDyXhat);
    }
}

__kernel void relu_forward(__global const float* x, const int xOffset, __global float* y, const int yOffset, const int n) {
    const int i = get_global_id(0);
    if (i < n) y[yOffset + i] = fmax(x[xOffset + i], 0.0f);
}

__kernel void relu_backward(__global const float* dy, const int dyOffset, __global const float* y, const int yOffset,
                            __global float* dx, const int dxOffset, const int n) {
    const int i = get_global_id(0);
    if (i < n) dx[dxOffset + i] = y[yOffset + i] > 0.0f ? dy[dyOffset + i] : 0.0f;
}
