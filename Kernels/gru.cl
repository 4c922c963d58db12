// Fused GRU cell, gate order r, z, n (PyTorch: the reset gate multiplies the recurrent product).
// One work-item per (row, unit); a row whose length is <= t carries its state.

inline float gru_sigmoid(float x) { return 1.0f / (1.0f + exp(-x)); }

__kernel void gru_cell_forward(
    const int batch, const int hidden,
    __global float* inputGates, const int inputGatesOffset,
    __global const float* hiddenGates, const int hiddenGatesOffset,
    __global const float* hPrev, const int hPrevOffset,
    __global float* hNext, const int hNextOffset, __global float* output, const int outputOffset,
    __global const int* lengths, const int lengthsOffset, const int hasLengths, const int t)
{
    const int index = get_global_id(0);
    if (index >= batch * hidden) return;
    const int b = index / hidden;
    const int j = index - b * hidden;
    __global float* gx = inputGates + inputGatesOffset + b * 3 * hidden + j;
    const __global float* gh = hiddenGates + hiddenGatesOffset + b * 3 * hidden + j;
    const float r = gru_sigmoid(gx[0] + gh[0]);
    const float z = gru_sigmoid(gx[hidden] + gh[hidden]);
    const float n = tanh(fma(r, gh[2 * hidden], gx[2 * hidden]));
    gx[0] = r;
    gx[hidden] = z;
    gx[2 * hidden] = n;
    const float h0 = hPrev[hPrevOffset + index];
    if (!hasLengths || t < lengths[lengthsOffset + b]) {
        const float h = (1.0f - z) * n + z * h0;
        hNext[hNextOffset + index] = h;
        output[outputOffset + index] = h;
    } else {
        hNext[hNextOffset + index] = h0;
        output[outputOffset + index] = 0.0f;
    }
}

__kernel void gru_cell_backward(
    const int batch, const int hidden,
    __global const float* inputGates, const int inputGatesOffset,
    __global const float* hiddenGates, const int hiddenGatesOffset,
    __global const float* hPrev, const int hPrevOffset,
    __global const float* dOutput, const int dOutputOffset, __global float* dh, const int dhOffset,
    __global float* dInputGates, const int dInputGatesOffset,
    __global float* dHiddenGates, const int dHiddenGatesOffset,
    __global const int* lengths, const int lengthsOffset, const int hasLengths, const int t)
{
    const int index = get_global_id(0);
    if (index >= batch * hidden) return;
    const int b = index / hidden;
    const int j = index - b * hidden;
    __global float* dgx = dInputGates + dInputGatesOffset + b * 3 * hidden + j;
    __global float* dgh = dHiddenGates + dHiddenGatesOffset + b * 3 * hidden + j;
    if (hasLengths && t >= lengths[lengthsOffset + b]) {
        dgx[0] = 0.0f; dgx[hidden] = 0.0f; dgx[2 * hidden] = 0.0f;
        dgh[0] = 0.0f; dgh[hidden] = 0.0f; dgh[2 * hidden] = 0.0f;
        return;
    }
    const __global float* gx = inputGates + inputGatesOffset + b * 3 * hidden + j;
    const float r = gx[0], z = gx[hidden], n = gx[2 * hidden];
    const float ghN = hiddenGates[hiddenGatesOffset + b * 3 * hidden + 2 * hidden + j];
    const float dhTotal = dh[dhOffset + index] + dOutput[dOutputOffset + index];
    const float dnPre = dhTotal * (1.0f - z) * (1.0f - n * n);
    const float dzPre = dhTotal * (hPrev[hPrevOffset + index] - n) * z * (1.0f - z);
    const float drPre = dnPre * ghN * r * (1.0f - r);
    dgx[0] = drPre; dgx[hidden] = dzPre; dgx[2 * hidden] = dnPre;
    dgh[0] = drPre; dgh[hidden] = dzPre; dgh[2 * hidden] = dnPre * r;
    dh[dhOffset + index] = dhTotal * z;
}
