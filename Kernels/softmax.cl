// Row softmax and softmax cross-entropy. Two forward kernels with the same arithmetic:
// softmax_rows_cpu (one row per work-item: no barriers, which are expensive on CPU OpenCL) and
// softmax_rows_gpu (one work-group of SOFTMAX_GROUP work-items per row, reduced in local memory).
// With withLoss set, rowLosses[n] = w[y] * (logsumexp(row) - row[y]), 0 for a target equal to ignoreIndex.

#ifndef SOFTMAX_GROUP
#define SOFTMAX_GROUP 256
#endif

inline float softmax_row_loss(const __global float* row, float logSumExp, int classes,
                              __global const int* targets, int targetsOffset, int n,
                              __global const float* weights, int weightsOffset, int hasWeights,
                              int ignoreIndex, int hasIgnore) {
    const int y = targets[targetsOffset + n];
    if (hasIgnore && y == ignoreIndex) return 0.0f;
    if (y < 0 || y >= classes) return NAN;  // a caller error must not read out of bounds
    const float w = hasWeights ? weights[weightsOffset + y] : 1.0f;
    return w * (logSumExp - row[y]);
}

inline float horizontal_max16(const float16 v) {
    const float8 a = fmax(v.lo, v.hi);
    const float4 b = fmax(a.lo, a.hi);
    const float2 c = fmax(b.lo, b.hi);
    return fmax(c.x, c.y);
}

inline float horizontal_sum16(const float16 v) {
    const float8 a = v.lo + v.hi;
    const float4 b = a.lo + a.hi;
    const float2 c = b.lo + b.hi;
    return c.x + c.y;
}

// One row per work-item, launched in work-groups of one: a CPU runtime then runs the row's loops with these
// explicit 16-wide vectors instead of vectorizing across rows (which would turn every load into a gather).
__kernel void softmax_rows_cpu(
    const int rows, const int classes,
    __global const float* logits, const int logitsOffset,
    __global float* probabilities, const int probabilitiesOffset,
    const int withLoss, __global const int* targets, const int targetsOffset,
    __global const float* weights, const int weightsOffset, const int hasWeights,
    const int ignoreIndex, const int hasIgnore,
    __global float* rowLosses, const int rowLossesOffset)
{
    const int n = get_global_id(0);
    if (n >= rows) return;
    const __global float* row = logits + logitsOffset + n * classes;
    __global float* out = probabilities + probabilitiesOffset + n * classes;
    const int vectorEnd = classes & ~15;

    float16 maxima = (float16)(-INFINITY);
    for (int c = 0; c < vectorEnd; c += 16) maxima = fmax(maxima, vload16(0, row + c));
    float maximum = horizontal_max16(maxima);
    for (int c = vectorEnd; c < classes; ++c) maximum = fmax(maximum, row[c]);

    float16 sums = (float16)(0.0f);
    for (int c = 0; c < vectorEnd; c += 16) {
        const float16 e = exp(vload16(0, row + c) - maximum);
        vstore16(e, 0, out + c);
        sums += e;
    }
    float total = horizontal_sum16(sums);
    for (int c = vectorEnd; c < classes; ++c) { const float e = exp(row[c] - maximum); out[c] = e; total += e; }

    const float inverse = 1.0f / total;
    for (int c = 0; c < vectorEnd; c += 16) vstore16(vload16(0, out + c) * inverse, 0, out + c);
    for (int c = vectorEnd; c < classes; ++c) out[c] *= inverse;
    if (withLoss) {
        rowLosses[rowLossesOffset + n] = softmax_row_loss(row, maximum + log(total), classes, targets, targetsOffset, n,
                                                          weights, weightsOffset, hasWeights, ignoreIndex, hasIgnore);
    }
}

__kernel __attribute__((reqd_work_group_size(SOFTMAX_GROUP, 1, 1)))
void softmax_rows_gpu(
    const int rows, const int classes,
    __global const float* logits, const int logitsOffset,
    __global float* probabilities, const int probabilitiesOffset,
    const int withLoss, __global const int* targets, const int targetsOffset,
    __global const float* weights, const int weightsOffset, const int hasWeights,
    const int ignoreIndex, const int hasIgnore,
    __global float* rowLosses, const int rowLossesOffset)
{
    __local float scratch[SOFTMAX_GROUP];
    const int n = get_group_id(0);
    const int lane = get_local_id(0);
    const __global float* row = logits + logitsOffset + n * classes;
    __global float* out = probabilities + probabilitiesOffset + n * classes;

    float maximum = -INFINITY;
    for (int c = lane; c < classes; c += SOFTMAX_GROUP) maximum = fmax(maximum, row[c]);
    scratch[lane] = maximum;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int stride = SOFTMAX_GROUP / 2; stride > 0; stride /= 2) {
        if (lane < stride) scratch[lane] = fmax(scratch[lane], scratch[lane + stride]);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    maximum = scratch[0];
    barrier(CLK_LOCAL_MEM_FENCE);

    float total = 0.0f;
    for (int c = lane; c < classes; c += SOFTMAX_GROUP) { const float e = exp(row[c] - maximum); out[c] = e; total += e; }
    scratch[lane] = total;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int stride = SOFTMAX_GROUP / 2; stride > 0; stride /= 2) {
        if (lane < stride) scratch[lane] += scratch[lane + stride];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    total = scratch[0];
    const float inverse = 1.0f / total;
    for (int c = lane; c < classes; c += SOFTMAX_GROUP) out[c] *= inverse;
    if (withLoss && lane == 0) {
        rowLosses[rowLossesOffset + n] = softmax_row_loss(row, maximum + log(total), classes, targets, targetsOffset, n,
                                                          weights, weightsOffset, hasWeights, ignoreIndex, hasIgnore);
    }
}

// dLogits[n, c] = scale * w[y_n] * (p[n, c] - [c == y_n]); 0 for ignored rows. One work-item per element.
__kernel void softmax_cross_entropy_backward(
    const int rows, const int classes,
    __global const float* probabilities, const int probabilitiesOffset,
    __global const int* targets, const int targetsOffset,
    __global const float* weights, const int weightsOffset, const int hasWeights,
    const int ignoreIndex, const int hasIgnore, const float scale,
    __global float* dLogits, const int dLogitsOffset)
{
    const int index = get_global_id(0);
    if (index >= rows * classes) return;
    const int n = index / classes;
    const int c = index - n * classes;
    const int y = targets[targetsOffset + n];
    float gradient = 0.0f;
    if (!(hasIgnore && y == ignoreIndex) && y >= 0 && y < classes) {
        const float w = hasWeights ? weights[weightsOffset + y] : 1.0f;
        gradient = scale * w * (probabilities[probabilitiesOffset + index] - (c == y ? 1.0f : 0.0f));
    }
    dLogits[dLogitsOffset + index] = gradient;
}
