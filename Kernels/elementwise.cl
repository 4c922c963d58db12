// Element-wise ops over contiguous views; every tensor is (buffer, element offset). One element per
// work-item: simple enough for CPU OpenCL compilers to vectorize across work-items.

__kernel void fill_float(__global float* x, const int xOffset, const float value, const int n) {
    const int i = get_global_id(0);
    if (i < n) x[xOffset + i] = value;
}

__kernel void axpy(const float alpha, __global const float* x, const int xOffset,
                   __global float* y, const int yOffset, const int n) {
    const int i = get_global_id(0);
    if (i < n) y[yOffset + i] = fma(alpha, x[xOffset + i], y[yOffset + i]);
}

__kernel void scale(__global float* x, const int xOffset, const float alpha, const int n) {
    const int i = get_global_id(0);
    if (i < n) x[xOffset + i] *= alpha;
}

__kernel void multiply(__global const float* a, const int aOffset, __global const float* b, const int bOffset,
                       __global float* out, const int outOffset, const int n) {
    const int i = get_global_id(0);
    if (i < n) out[outOffset + i] = a[aOffset + i] * b[bOffset + i];
}

// matrix[r, c] += vector[c]
__kernel void add_row_vector(__global const float* v, const int vOffset,
                             __global float* m, const int mOffset, const int columns, const int n) {
    const int i = get_global_id(0);
    if (i < n) m[mOffset + i] += v[vOffset + i % columns];
}

// add_row_vector for 8 neighbouring elements per work-item (columns % 8 == 0): one modulo per 8 elements.
__kernel void add_row_vector8(__global const float* v, const int vOffset,
                              __global float* m, const int mOffset, const int columns, const int n) {
    const int i = get_global_id(0) * 8;
    if (i >= n) return;
    vstore8(vload8(0, m + mOffset + i) + vload8(0, v + vOffset + i % columns), 0, m + mOffset + i);
}
