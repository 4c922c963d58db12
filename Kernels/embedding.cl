// Embedding gather and its deterministic scatter-add.

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
