// Elman RNN cell with tanh. One work-item per (row, unit); a row whose length is <= t carries its state.

__kernel void rnn_cell_forward(
    const int batch, const int hidden,
    __global float* preactivation, const int preactivationOffset,
    __global const float* hPrev, const int hPrevOffset,
    __global float* hNext, const int hNextOffset, __global float* output, const int outputOffset,
    __global const int* lengths, const int lengthsOffset, const int hasLengths, const int t)
{
    const int index = get_global_id(0);
    if (index >= batch * hidden) return;
    const int b = index / hidden;
    const float h = tanh(preactivation[preactivationOffset + index]);
    preactivation[preactivationOffset + index] = h;
    if (!hasLengths || t < lengths[lengthsOffset + b]) {
        hNext[hNextOffset + index] = h;
        output[outputOffset + index] = h;
    } else {
        hNext[hNextOffset + index] = hPrev[hPrevOffset + index];
        output[outputOffset + index] = 0.0f;
    }
}

__kernel void rnn_cell_backward(
    const int batch, const int hidden,
    __global const float* activation, const int activationOffset,
    __global const float* dOutput, const int dOutputOffset, __global float* dh, const int dhOffset,
    __global float* dPreactivation, const int dPreactivationOffset,
    __global const int* lengths, const int lengthsOffset, const int hasLengths, const int t)
{
    const int index = get_global_id(0);
    if (index >= batch * hidden) return;
    const int b = index / hidden;
    if (hasLengths && t >= lengths[lengthsOffset + b]) {
        dPreactivation[dPreactivationOffset + index] = 0.0f;
        return;
    }
    const float a = activation[activationOffset + index];
    const float dhTotal = dh[dhOffset + index] + dOutput[dOutputOffset + index];
    dPreactivation[dPreactivationOffset + index] = dhTotal * (1.0f - a * a);
    dh[dhOffset + index] = 0.0f;
}
