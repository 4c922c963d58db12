// Fused LSTM cell, one time step of a batch, gate order i, f, g, o (PyTorch). One work-item per (row, unit).
// A row whose length is <= t carries its state (packed-sequence semantics).

inline float lstm_sigmoid(float x) { return 1.0f / (1.0f + exp(-x)); }

inline int lstm_valid(__global const int* lengths, int lengthsOffset, int hasLengths, int b, int t) {
    return !hasLengths || t < lengths[lengthsOffset + b];
}

__kernel void lstm_cell_forward(
    const int batch, const int hidden,
    __global float* gates, const int gatesOffset,
    __global const float* cPrev, const int cPrevOffset, __global const float* hPrev, const int hPrevOffset,
    __global float* cNext, const int cNextOffset, __global float* hNext, const int hNextOffset,
    __global float* output, const int outputOffset,
    __global const int* lengths, const int lengthsOffset, const int hasLengths, const int t)
{
    const int index = get_global_id(0);
    if (index >= batch * hidden) return;
    const int b = index / hidden;
    const int j = index - b * hidden;
    __global float* g = gates + gatesOffset + b * 4 * hidden + j;
    const float inputGate = lstm_sigmoid(g[0]);
    const float forgetGate = lstm_sigmoid(g[hidden]);
    const float candidate = tanh(g[2 * hidden]);
    const float outputGate = lstm_sigmoid(g[3 * hidden]);
    g[0] = inputGate;
    g[hidden] = forgetGate;
    g[2 * hidden] = candidate;
    g[3 * hidden] = outputGate;
    const float c0 = cPrev[cPrevOffset + index];
    if (lstm_valid(lengths, lengthsOffset, hasLengths, b, t)) {
        const float c = fma(forgetGate, c0, inputGate * candidate);
        const float h = outputGate * tanh(c);
        cNext[cNextOffset + index] = c;
        hNext[hNextOffset + index] = h;
        output[outputOffset + index] = h;
    } else {
        cNext[cNextOffset + index] = c0;
        hNext[hNextOffset + index] = hPrev[hPrevOffset + index];
        output[outputOffset + index] = 0.0f;
    }
}

__kernel void lstm_cell_backward(
    const int batch, const int hidden,
    __global const float* gates, const int gatesOffset,
    __global const float* cPrev, const int cPrevOffset, __global const float* cNext, const int cNextOffset,
    __global const float* dOutput, const int dOutputOffset,
    __global float* dh, const int dhOffset, __global float* dc, const int dcOffset,
    __global float* dGates, const int dGatesOffset,
    __global const int* lengths, const int lengthsOffset, const int hasLengths, const int t)
{
    const int index = get_global_id(0);
    if (index >= batch * hidden) return;
    const int b = index / hidden;
    const int j = index - b * hidden;
    __global float* dg = dGates + dGatesOffset + b * 4 * hidden + j;
    if (!lstm_valid(lengths, lengthsOffset, hasLengths, b, t)) {
        // Carried state: dh and dc pass through untouched, no gate gradient.
        dg[0] = 0.0f; dg[hidden] = 0.0f; dg[2 * hidden] = 0.0f; dg[3 * hidden] = 0.0f;
        return;
    }
    const __global float* g = gates + gatesOffset + b * 4 * hidden + j;
    const float inputGate = g[0], forgetGate = g[hidden], candidate = g[2 * hidden], outputGate = g[3 * hidden];
    const float tanhC = tanh(cNext[cNextOffset + index]);
    const float dhTotal = dh[dhOffset + index] + dOutput[dOutputOffset + index];
    const float dcTotal = dc[dcOffset + index] + dhTotal * outputGate * (1.0f - tanhC * tanhC);
    dg[0] = dcTotal * candidate * inputGate * (1.0f - inputGate);
    dg[hidden] = dcTotal * cPrev[cPrevOffset + index] * forgetGate * (1.0f - forgetGate);
    dg[2 * hidden] = dcTotal * inputGate * (1.0f - candidate * candidate);
    dg[3 * hidden] = dhTotal * tanhC * outputGate * (1.0f - outputGate);
    dh[dhOffset + index] = 0.0f;
    dc[dcOffset + index] = dcTotal * forgetGate;
}

// The same two kernels for a hidden size that is a multiple of 8: one work-item per (row, 8 units), in
// float8 vectors. PoCL runs the scalar kernels' exp and tanh one lane at a time; these use its vector math.
inline float8 lstm_sigmoid8(float8 x) { return 1.0f / (1.0f + exp(-x)); }
// tanh from one exp: PoCL's vector tanh costs about three. Absolute error ~1e-7 near 0.
inline float8 lstm_tanh8(float8 x) { const float8 e = exp(-2.0f * fabs(x)); return copysign((1.0f - e) / (1.0f + e), x); }

__kernel void lstm_cell_forward8(
    const int batch, const int hidden,
    __global float* gates, const int gatesOffset,
    __global const float* cPrev, const int cPrevOffset, __global const float* hPrev, const int hPrevOffset,
    __global float* cNext, const int cNextOffset, __global float* hNext, const int hNextOffset,
    __global float* output, const int outputOffset,
    __global const int* lengths, const int lengthsOffset, const int hasLengths, const int t)
{
    const int octets = hidden / 8;
    const int index = get_global_id(0);
    if (index >= batch * octets) return;
    const int b = index / octets;
    const int j = (index - b * octets) * 8;
    __global float* g = gates + gatesOffset + b * 4 * hidden + j;
    const float8 inputGate = lstm_sigmoid8(vload8(0, g));
    const float8 forgetGate = lstm_sigmoid8(vload8(0, g + hidden));
    const float8 candidate = lstm_tanh8(vload8(0, g + 2 * hidden));
    const float8 outputGate = lstm_sigmoid8(vload8(0, g + 3 * hidden));
    vstore8(inputGate, 0, g);
    vstore8(forgetGate, 0, g + hidden);
    vstore8(candidate, 0, g + 2 * hidden);
    vstore8(outputGate, 0, g + 3 * hidden);
    const int e = b * hidden + j;
    const float8 c0 = vload8(0, cPrev + cPrevOffset + e);
    if (lstm_valid(lengths, lengthsOffset, hasLengths, b, t)) {
        const float8 c = fma(forgetGate, c0, inputGate * candidate);
        const float8 h = outputGate * lstm_tanh8(c);
        vstore8(c, 0, cNext + cNextOffset + e);
        vstore8(h, 0, hNext + hNextOffset + e);
        vstore8(h, 0, output + outputOffset + e);
    } else {
        vstore8(c0, 0, cNext + cNextOffset + e);
        vstore8(vload8(0, hPrev + hPrevOffset + e), 0, hNext + hNextOffset + e);
        vstore8((float8)(0.0f), 0, output + outputOffset + e);
    }
}

__kernel void lstm_cell_backward8(
    const int batch, const int hidden,
    __global const float* gates, const int gatesOffset,
    __global const float* cPrev, const int cPrevOffset, __global const float* cNext, const int cNextOffset,
    __global const float* dOutput, const int dOutputOffset,
    __global float* dh, const int dhOffset, __global float* dc, const int dcOffset,
    __global float* dGates, const int dGatesOffset,
    __global const int* lengths, const int lengthsOffset, const int hasLengths, const int t)
{
    const int octets = hidden / 8;
    const int index = get_global_id(0);
    if (index >= batch * octets) return;
    const int b = index / octets;
    const int j = (index - b * octets) * 8;
    __global float* dg = dGates + dGatesOffset + b * 4 * hidden + j;
    if (!lstm_valid(lengths, lengthsOffset, hasLengths, b, t)) {
        const float8 zero = (float8)(0.0f);
        vstore8(zero, 0, dg); vstore8(zero, 0, dg + hidden); vstore8(zero, 0, dg + 2 * hidden); vstore8(zero, 0, dg + 3 * hidden);
        return;
    }
    const __global float* g = gates + gatesOffset + b * 4 * hidden + j;
    const float8 inputGate = vload8(0, g), forgetGate = vload8(0, g + hidden);
    const float8 candidate = vload8(0, g + 2 * hidden), outputGate = vload8(0, g + 3 * hidden);
    const int e = b * hidden + j;
    const float8 tanhC = lstm_tanh8(vload8(0, cNext + cNextOffset + e));
    const float8 dhTotal = vload8(0, dh + dhOffset + e) + vload8(0, dOutput + dOutputOffset + e);
    const float8 dcTotal = vload8(0, dc + dcOffset + e) + dhTotal * outputGate * (1.0f - tanhC * tanhC);
    vstore8(dcTotal * candidate * inputGate * (1.0f - inputGate), 0, dg);
    vstore8(dcTotal * vload8(0, cPrev + cPrevOffset + e) * forgetGate * (1.0f - forgetGate), 0, dg + hidden);
    vstore8(dcTotal * inputGate * (1.0f - candidate * candidate), 0, dg + 2 * hidden);
    vstore8(dhTotal * tanhC * outputGate * (1.0f - outputGate), 0, dg + 3 * hidden);
    vstore8((float8)(0.0f), 0, dh + dhOffset + e);
    vstore8(dcTotal * forgetGate, 0, dc + dcOffset + e);
}
