// Masked pooling over time of a [T, B, H] sequence into [B, H]. A row's valid steps are t < lengths[b]
// (all T without lengths); a row of length 0 pools to 0 and has no arg-max (-1).

#define POOL_SUM 0
#define POOL_MEAN 1
#define POOL_MAX 2

inline int pool_length(__global const int* lengths, int lengthsOffset, int hasLengths, int b, int steps) {
    return hasLengths ? clamp(lengths[lengthsOffset + b], 0, steps) : steps;
}

__kernel void pool_forward(
    const int mode, const int steps, const int batch, const int hidden,
    __global const float* input, const int inputOffset,
    __global const int* lengths, const int lengthsOffset, const int hasLengths,
    __global float* output, const int outputOffset, __global int* argmax, const int argmaxOffset)
{
    const int index = get_global_id(0);
    if (index >= batch * hidden) return;
    const int b = index / hidden;
    const int length = pool_length(lengths, lengthsOffset, hasLengths, b, steps);
    const __global float* x = input + inputOffset + index;
    const int stride = batch * hidden;
    if (mode == POOL_MAX) {
        float best = 0.0f;
        int bestStep = -1;
        for (int t = 0; t < length; ++t) {
            const float v = x[t * stride];
            if (bestStep < 0 || v > best) { best = v; bestStep = t; }
        }
        output[outputOffset + index] = best;
        argmax[argmaxOffset + index] = bestStep;
        return;
    }
    float total = 0.0f;
    for (int t = 0; t < length; ++t) total += x[t * stride];
    if (mode == POOL_MEAN) total = length > 0 ? total / (float)length : 0.0f;
    output[outputOffset + index] = total;
}

// dInput[t, b, h] += the gradient of output[b, h]; one work-item per element of dInput, so no two
// work-items write the same element.
__kernel void pool_backward(
    const int mode, const int steps, const int batch, const int hidden,
    __global const float* dOutput, const int dOutputOffset,
    __global const int* lengths, const int lengthsOffset, const int hasLengths,
    __global const int* argmax, const int argmaxOffset,
    __global float* dInput, const int dInputOffset)
{
    const int index = get_global_id(0);
    const int stride = batch * hidden;
    if (index >= steps * stride) return;
    const int t = index / stride;
    const int element = index - t * stride;
    const int b = element / hidden;
    const int length = pool_length(lengths, lengthsOffset, hasLengths, b, steps);
    if (t >= length) return;
    const float g = dOutput[dOutputOffset + element];
    if (mode == POOL_SUM) dInput[dInputOffset + index] += g;
    else if (mode == POOL_MEAN) dInput[dInputOffset + index] += g / (float)length;
    else if (argmax[argmaxOffset + element] == t) dInput[dInputOffset + index] += g;
}
