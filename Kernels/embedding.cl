// Embedding gather and its deterministic scatter-add. Rows are moved as float4 vectors when the width
// allows: PoCL does not vectorize a gather across work-items, so a scalar kernel moves one float a time.

// output[n, e] = weight[tokens[n], e]; one work-item per output element.
__kernel void embedding_forward(
    const int count, const int width,
    __global const float* weight, const int weightOffset,
    __global const int* tokens, const int tokensOffset,
    __global float* output, const int outputOffset)
{
    const int index = get_global_id(0);
    if (index >= count * width) return;
    const int n = index / width;
    const int e = index - n * width;
    output[outputOffset + index] = weight[weightOffset + tokens[tokensOffset + n] * width + e];
}

// The same for a width that is a multiple of 4: one work-item per 4 elements of a row.
__kernel void embedding_forward4(
    const int count, const int width,
    __global const float* weight, const int weightOffset,
    __global const int* tokens, const int tokensOffset,
    __global float* output, const int outputOffset)
{
    const int quads = width / 4;
    const int index = get_global_id(0);
    if (index >= count * quads) return;
    const int n = index / quads;
    const int q = index - n * quads;
    const float4 row = vload4(q, weight + weightOffset + tokens[tokensOffset + n] * width);
    vstore4(row, q, output + outputOffset + n * width);
}

// dWeight[tokens[n], e] += dOutput[n, e] for tokens other than paddingIndex. One work-item per column e walks
// the tokens in order, so a word seen many times sums its gradients in the same order on every run,
// without float atomics.
__kernel void embedding_backward(
    const int count, const int width,
    __global const float* dOutput, const int dOutputOffset,
    __global const int* tokens, const int tokensOffset,
    __global float* dWeight, const int dWeightOffset,
    const int paddingIndex, const int hasPadding)
{
    const int e = get_global_id(0);
    if (e >= width) return;
    for (int n = 0; n < count; ++n) {
        const int token = tokens[tokensOffset + n];
        if (hasPadding && token == paddingIndex) continue;
        dWeight[dWeightOffset + token * width + e] += dOutput[dOutputOffset + n * width + e];
    }
}

// The same for a width that is a multiple of 4: one work-item per 4 columns, the same order of sums.
__kernel void embedding_backward4(
    const int count, const int width,
    __global const float* dOutput, const int dOutputOffset,
    __global const int* tokens, const int tokensOffset,
    __global float* dWeight, const int dWeightOffset,
    const int paddingIndex, const int hasPadding)
{
    const int q = get_global_id(0);
    if (q >= width / 4) return;
    __global const float* source = dOutput + dOutputOffset;
    __global float* target = dWeight + dWeightOffset;
    for (int n = 0; n < count; ++n) {
        const int token = tokens[tokensOffset + n];
        if (hasPadding && token == paddingIndex) continue;
        vstore4(vload4(q, target + token * width) + vload4(q, source + n * width), q, target + token * width);
    }
}
