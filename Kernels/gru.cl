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

// The same two kernels for a hidden size that is a multiple of 8: one work-item per (row, 8 units), in
// float8 vectors (PoCL's vector exp and tanh instead of one lane at a time).
inline float8 gru_sigmoid8(float8 x) { return 1.0f / (1.0f + exp(-x)); }

__kernel void gru_cell_forward8(
    const int batch, const int hidden,
    __global float* inputGates, const int inputGatesOffset,
    __global const float* hiddenGates, const int hiddenGatesOffset,
    __global const float* hPrev, const int hPrevOffset,
    __global float* hNext, const int hNextOffset, __global float* output, const int outputOffset,
    __global const int* lengths, const int lengthsOffset, const int hasLengths, const int t)
{
    const int octets = hidden / 8;
    const int index = get_global_id(0);
    if (index >= batch * octets) return;
    const int b = index / octets;
    const int j = (index - b * octets) * 8;
    __global float* gx = inputGates + inputGatesOffset + b * 3 * hidden + j;
    const __global float* gh = hiddenGates + hiddenGatesOffset + b * 3 * hidden + j;
    const float8 r = gru_sigmoid8(vload8(0, gx) + vload8(0, gh));
    const float8 z = gru_sigmoid8(vload8(0, gx + hidden) + vload8(0, gh + hidden));
    const float8 n = tanh(fma(r, vload8(0, gh + 2 * hidden), vload8(0, gx + 2 * hidden)));
    vstore8(r, 0, gx);
    vstore8(z, 0, gx + hidden);
    vstore8(n, 0, gx + 2 * hidden);
    const int e = b * hidden + j;
    const float8 h0 = vload8(0, hPrev + hPrevOffset + e);
    if (!hasLengths || t < lengths[lengthsOffset + b]) {
        const float8 h = (1.0f - z) * n + z * h0;
        vstore8(h, 0, hNext + hNextOffset + e);
        vstore8(h, 0, output + outputOffset + e);
    } else {
        vstore8(h0, 0, hNext + hNextOffset + e);
        vstore8((float8)(0.0f), 0, output + outputOffset + e);
    }
}

__kernel void gru_cell_backward8(
    const int batch, const int hidden,
    __global const float* inputGates, const int inputGatesOffset,
    __global const float* hiddenGates, const int hiddenGatesOffset,
    __global const float* hPrev, const int hPrevOffset,
    __global const float* dOutput, const int dOutputOffset, __global float* dh, const int dhOffset,
    __global float* dInputGates, const int dInputGatesOffset,
    __global float* dHiddenGates, const int dHiddenGatesOffset,
    __global const int* lengths, const int lengthsOffset, const int hasLengths, const int t)
{
    const int octets = hidden / 8;
    const int index = get_global_id(0);
    if (index >= batch * octets) return;
    const int b = index / octets;
    const int j = (index - b * octets) * 8;
    __global float* dgx = dInputGates + dInputGatesOffset + b * 3 * hidden + j;
    __global float* dgh = dHiddenGates + dHiddenGatesOffset + b * 3 * hidden + j;
    if (hasLengths && t >= lengths[lengthsOffset + b]) {
        const float8 zero = (float8)(0.0f);
        vstore8(zero, 0, dgx); vstore8(zero, 0, dgx + hidden); vstore8(zero, 0, dgx + 2 * hidden);
        vstore8(zero, 0, dgh); vstore8(zero, 0, dgh + hidden); vstore8(zero, 0, dgh + 2 * hidden);
        return;
    }
    const __global float* gx = inputGates + inputGatesOffset + b * 3 * hidden + j;
    const float8 r = vload8(0, gx), z = vload8(0, gx + hidden), n = vload8(0, gx + 2 * hidden);
    const float8 ghN = vload8(0, hiddenGates + hiddenGatesOffset + b * 3 * hidden + 2 * hidden + j);
    const int e = b * hidden + j;
    const float8 dhTotal = vload8(0, dh + dhOffset + e) + vload8(0, dOutput + dOutputOffset + e);
    const float8 dnPre = dhTotal * (1.0f - z) * (1.0f - n * n);
    const float8 dzPre = dhTotal * (vload8(0, hPrev + hPrevOffset + e) - n) * z * (1.0f - z);
    const float8 drPre = dnPre * ghN * r * (1.0f - r);
    vstore8(drPre, 0, dgx); vstore8(dzPre, 0, dgx + hidden); vstore8(dnPre, 0, dgx + 2 * hidden);
    vstore8(drPre, 0, dgh); vstore8(dzPre, 0, dgh + hidden); vstore8(dnPre * r, 0, dgh + 2 * hidden);
    vstore8(dhTotal * z, 0, dh + dhOffset + e);
}
