// GEMM: C = alpha * op(A) * op(B) + beta * C, row-major, every operand given as (buffer, element offset)
// plus strides, so one kernel serves every transpose combination, leading dimension and column block.
// With beta == 0 the old C is never read (it may hold NaN).
//
// Build options (defaults below): GEMM_BLOCK_ROWS x GEMM_BLOCK_COLS (16 or 32) of C per work-item in the
// CPU block kernel, GEMM_DOT_ROWS x GEMM_DOT_COLS for the CPU dot-product kernel, GEMM_TILE for the GPU kernel,
// GEMM_LOCAL_DEPTH for the deepest B panel gemm_block_local holds in local memory.

#ifndef GEMM_BLOCK_ROWS
#define GEMM_BLOCK_ROWS 8
#endif
#ifndef GEMM_BLOCK_COLS
#define GEMM_BLOCK_COLS 32
#endif
#ifndef GEMM_DOT_ROWS
#define GEMM_DOT_ROWS 4
#endif
#ifndef GEMM_DOT_COLS
#define GEMM_DOT_COLS 4
#endif
#ifndef GEMM_TILE
#define GEMM_TILE 16
#endif
#ifndef GEMM_LOCAL_DEPTH
#define GEMM_LOCAL_DEPTH 512
#endif

// A block row is one float16 (16 columns) or two (32): the second half exists only in the wide block.
#if GEMM_BLOCK_COLS == 32
#define GEMM_WIDE(...) __VA_ARGS__
#elif GEMM_BLOCK_COLS == 16
#define GEMM_WIDE(...)
#else
#error "GEMM_BLOCK_COLS must be 16 or 32"
#endif

inline float gemm_combine(float alpha, float product, float beta, float old) {
    return beta == 0.0f ? alpha * product : alpha * product + beta * old;
}

// Stores a work-item's block of C, rows i0.. and columns jBase.. (of which columns j0.. are its own: a block
// at the right edge slid left), as alpha * acc + beta * C at c[i*crs + j*ccs]; rows from M on are skipped.
inline void gemm_block_store(const float16* acc0 GEMM_WIDE(, const float16* acc1), const float alpha, const float beta,
                             __global float* cBase, const int crs, const int ccs,
                             const int M, const int i0, const int j0, const int jBase)
{
    if (jBase == j0 && ccs == 1 && i0 + GEMM_BLOCK_ROWS <= M) {
        #pragma unroll
        for (int r = 0; r < GEMM_BLOCK_ROWS; ++r) {
            __global float* cp = cBase + (i0 + r) * crs + j0;
            if (beta == 0.0f) {
                vstore16(alpha * acc0[r], 0, cp);
                GEMM_WIDE(vstore16(alpha * acc1[r], 1, cp);)
            } else {
                vstore16(alpha * acc0[r] + beta * vload16(0, cp), 0, cp);
                GEMM_WIDE(vstore16(alpha * acc1[r] + beta * vload16(1, cp), 1, cp);)
            }
        }
        return;
    }
    // Edge or transposed store: element by element, only this block's own elements.
    #pragma unroll
    for (int r = 0; r < GEMM_BLOCK_ROWS; ++r) {
        const int i = i0 + r;
        if (i >= M) break;
        float values[GEMM_BLOCK_COLS];
        vstore16(acc0[r], 0, values);
        GEMM_WIDE(vstore16(acc1[r], 1, values);)
        for (int col = 0; col < GEMM_BLOCK_COLS; ++col) {
            const int j = jBase + col;
            if (j < j0) continue;
            __global float* cp = cBase + i * crs + j * ccs;
            *cp = gemm_combine(alpha, values[col], beta, *cp);
        }
    }
}

// CPU-style outer-product kernel: each work-item keeps a GEMM_BLOCK_ROWS x GEMM_BLOCK_COLS block of C in
// registers, no local memory and no barriers (work-group barriers are expensive on CPU OpenCL).
// Computes X (M x K, element (i, p) at x[i*xrs + p*xcs]) times Y (K x N) and stores element (i, j) at
// c[i*crs + j*ccs]; the host maps the transpose cases onto it (op(B) transposed and op(A) transposed is
// run as C^T = B A with a transposed store). Y's GEMM_BLOCK_COLS-column panels start yPanelStride apart and
// step ldy per row: a row-major Y has yPanelStride GEMM_BLOCK_COLS and ldy its leading dimension
// (y[p*ldy + j]); one packed by gemm_pack_panels has yPanelStride K*GEMM_BLOCK_COLS and ldy GEMM_BLOCK_COLS,
// and its panels are read contiguously.
// Requires N >= GEMM_BLOCK_COLS: a block at the right edge slides left to stay inside Y and stores only its own columns;
// rows past the bottom edge are clamped on load and skipped on store.
// Grid: dim 0 = column blocks, dim 1 = row blocks.
__kernel void gemm_block(
    const int M, const int N, const int K, const float alpha,
    __global const float* x, const int xOffset, const int xrs, const int xcs,
    __global const float* y, const int yOffset, const int ldy, const int yPanelStride,
    const float beta, __global float* c, const int cOffset, const int crs, const int ccs)
{
    const int j0 = get_global_id(0) * GEMM_BLOCK_COLS;
    const int i0 = get_global_id(1) * GEMM_BLOCK_ROWS;
    if (j0 >= N || i0 >= M) return;
    const int jBase = min(j0, N - GEMM_BLOCK_COLS);

    const __global float* xRow[GEMM_BLOCK_ROWS];
    #pragma unroll
    for (int r = 0; r < GEMM_BLOCK_ROWS; ++r) xRow[r] = x + xOffset + min(i0 + r, M - 1) * xrs;

    float16 acc0[GEMM_BLOCK_ROWS];
    GEMM_WIDE(float16 acc1[GEMM_BLOCK_ROWS];)
    #pragma unroll
    for (int r = 0; r < GEMM_BLOCK_ROWS; ++r) { acc0[r] = (float16)(0.0f); GEMM_WIDE(acc1[r] = (float16)(0.0f);) }

    const __global float* yp = y + yOffset + (jBase / GEMM_BLOCK_COLS) * yPanelStride + jBase % GEMM_BLOCK_COLS;
    int xp = 0;
    for (int p = 0; p < K; ++p) {
        const float16 b0 = vload16(0, yp);
        GEMM_WIDE(const float16 b1 = vload16(1, yp);)
        #pragma unroll
        for (int r = 0; r < GEMM_BLOCK_ROWS; ++r) {
            const float16 a = (float16)(xRow[r][xp]);
            acc0[r] = fma(a, b0, acc0[r]);
            GEMM_WIDE(acc1[r] = fma(a, b1, acc1[r]);)
        }
        yp += ldy;
        xp += xcs;
    }

    gemm_block_store(acc0 GEMM_WIDE(, acc1), alpha, beta, c + cOffset, crs, ccs, M, i0, j0, jBase);
}

// The block kernel for a row-major B read in place (no gemm_pack_panels pass): a work-group is one column
// panel and a run of row blocks. Its work-items first copy the panel (K x GEMM_BLOCK_COLS, rows ldy apart)
// into local memory, which on a CPU device is a buffer that stays in L1/L2, then multiply their row blocks
// from it. Read in place by every row block, rows of B a power of two apart fall into a few cache sets and
// are fetched again and again; copied, they are read once per group. One launch instead of two, and no
// packed copy of B in global memory. K <= GEMM_LOCAL_DEPTH (the host cuts longer K into depth blocks);
// the store is row-major (ldc). Grid: dim 0 = column blocks, dim 1 = row blocks (padded to the group).
__kernel void gemm_block_local(
    const int M, const int N, const int K, const float alpha,
    __global const float* x, const int xOffset, const int xrs, const int xcs,
    __global const float* y, const int yOffset, const int ldy,
    const float beta, __global float* c, const int cOffset, const int ldc)
{
    __local float panel[GEMM_LOCAL_DEPTH * GEMM_BLOCK_COLS];
    const int j0 = get_global_id(0) * GEMM_BLOCK_COLS;
    const int jBase = min(j0, N - GEMM_BLOCK_COLS);
    const int i0 = get_global_id(1) * GEMM_BLOCK_ROWS;

    // Every work-item reaches the barrier, including row blocks past M (the grid is padded to the group).
    for (int p = get_local_id(1); p < K; p += get_local_size(1)) {
        const __global float* source = y + yOffset + p * ldy + jBase;
        __local float* target = panel + p * GEMM_BLOCK_COLS;
        vstore16(vload16(0, source), 0, target);
        GEMM_WIDE(vstore16(vload16(1, source), 1, target);)
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    if (i0 >= M) return;

    const __global float* xRow[GEMM_BLOCK_ROWS];
    #pragma unroll
    for (int r = 0; r < GEMM_BLOCK_ROWS; ++r) xRow[r] = x + xOffset + min(i0 + r, M - 1) * xrs;
    float16 acc0[GEMM_BLOCK_ROWS];
    GEMM_WIDE(float16 acc1[GEMM_BLOCK_ROWS];)
    #pragma unroll
    for (int r = 0; r < GEMM_BLOCK_ROWS; ++r) { acc0[r] = (float16)(0.0f); GEMM_WIDE(acc1[r] = (float16)(0.0f);) }
    int xp = 0;
    for (int p = 0; p < K; ++p) {
        const float16 b0 = vload16(0, panel + p * GEMM_BLOCK_COLS);
        GEMM_WIDE(const float16 b1 = vload16(1, panel + p * GEMM_BLOCK_COLS);)
        #pragma unroll
        for (int r = 0; r < GEMM_BLOCK_ROWS; ++r) {
            const float16 a = (float16)(xRow[r][xp]);
            acc0[r] = fma(a, b0, acc0[r]);
            GEMM_WIDE(acc1[r] = fma(a, b1, acc1[r]);)
        }
        xp += xcs;
    }

    gemm_block_store(acc0 GEMM_WIDE(, acc1), alpha, beta, c + cOffset, ldc, 1, M, i0, j0, jBase);
}

inline float gemm_sum16(float16 v) {
    float8 s8 = v.lo + v.hi;
    float4 s4 = s8.lo + s8.hi;
    float2 s2 = s4.lo + s4.hi;
    return s2.x + s2.y;
}

// CPU-style dot-product kernel for op(A) = A and op(B) = B^T, where both operands run contiguously along K:
// C[i, j] = sum_p a[i*lda + p] * b[j*ldb + p]. Each work-item keeps GEMM_DOT_ROWS x GEMM_DOT_COLS float16
// partial sums in registers. Rows and columns past the edges are clamped on load and skipped on store.
// Grid: dim 0 = column blocks, dim 1 = row blocks.
__kernel void gemm_dot(
    const int M, const int N, const int K, const float alpha,
    __global const float* a, const int aOffset, const int lda,
    __global const float* b, const int bOffset, const int ldb,
    const float beta, __global float* c, const int cOffset, const int ldc)
{
    const int j0 = get_global_id(0) * GEMM_DOT_COLS;
    const int i0 = get_global_id(1) * GEMM_DOT_ROWS;
    if (j0 >= N || i0 >= M) return;

    const __global float* aRow[GEMM_DOT_ROWS];
    const __global float* bRow[GEMM_DOT_COLS];
    #pragma unroll
    for (int r = 0; r < GEMM_DOT_ROWS; ++r) aRow[r] = a + aOffset + min(i0 + r, M - 1) * lda;
    #pragma unroll
    for (int s = 0; s < GEMM_DOT_COLS; ++s) bRow[s] = b + bOffset + min(j0 + s, N - 1) * ldb;

    float16 acc[GEMM_DOT_ROWS][GEMM_DOT_COLS];
    #pragma unroll
    for (int r = 0; r < GEMM_DOT_ROWS; ++r)
        #pragma unroll
        for (int s = 0; s < GEMM_DOT_COLS; ++s) acc[r][s] = (float16)(0.0f);

    const int kVector = K & ~15;
    for (int p = 0; p < kVector; p += 16) {
        float16 bv[GEMM_DOT_COLS];
        #pragma unroll
        for (int s = 0; s < GEMM_DOT_COLS; ++s) bv[s] = vload16(0, bRow[s] + p);
        #pragma unroll
        for (int r = 0; r < GEMM_DOT_ROWS; ++r) {
            const float16 av = vload16(0, aRow[r] + p);
            #pragma unroll
            for (int s = 0; s < GEMM_DOT_COLS; ++s) acc[r][s] = fma(av, bv[s], acc[r][s]);
        }
    }

    #pragma unroll
    for (int r = 0; r < GEMM_DOT_ROWS; ++r) {
        const int i = i0 + r;
        if (i >= M) break;
        #pragma unroll
        for (int s = 0; s < GEMM_DOT_COLS; ++s) {
            const int j = j0 + s;
            if (j >= N) break;
            float total = gemm_sum16(acc[r][s]);
            for (int p = kVector; p < K; ++p) total = fma(aRow[r][p], bRow[s][p], total);
            __global float* cp = c + cOffset + i * ldc + j;
            *cp = gemm_combine(alpha, total, beta, *cp);
        }
    }
}

// Any shape, any transpose, one element of C per work-item: op(A)(i, p) = a[i*ars + p*acs],
// op(B)(p, j) = b[p*brs + j*bcs]. The CPU path uses it for products too narrow for the block kernels.
__kernel void gemm_simple(
    const int M, const int N, const int K, const float alpha,
    __global const float* a, const int aOffset, const int ars, const int acs,
    __global const float* b, const int bOffset, const int brs, const int bcs,
    const float beta, __global float* c, const int cOffset, const int ldc)
{
    const int j = get_global_id(0);
    const int i = get_global_id(1);
    if (i >= M || j >= N) return;
    const __global float* ap = a + aOffset + i * ars;
    const __global float* bp = b + bOffset + j * bcs;
    float total = 0.0f;
    for (int p = 0; p < K; ++p) total = fma(ap[p * acs], bp[p * brs], total);
    __global float* cp = c + cOffset + i * ldc + j;
    *cp = gemm_combine(alpha, total, beta, *cp);
}

// GPU-style kernel: GEMM_TILE x GEMM_TILE work-groups stage tiles of op(A) and op(B) in local memory;
// out-of-range elements load as 0, so any shape works. Strides as in gemm_simple.
__kernel __attribute__((reqd_work_group_size(GEMM_TILE, GEMM_TILE, 1)))
void gemm_tiled(
    const int M, const int N, const int K, const float alpha,
    __global const float* a, const int aOffset, const int ars, const int acs,
    __global const float* b, const int bOffset, const int brs, const int bcs,
    const float beta, __global float* c, const int cOffset, const int ldc)
{
    __local float aTile[GEMM_TILE][GEMM_TILE];
    __local float bTile[GEMM_TILE][GEMM_TILE + 1];
    const int tj = get_local_id(0);
    const int ti = get_local_id(1);
    const int j = get_group_id(0) * GEMM_TILE + tj;
    const int i = get_group_id(1) * GEMM_TILE + ti;
    float total = 0.0f;
    for (int p0 = 0; p0 < K; p0 += GEMM_TILE) {
        const int pa = p0 + tj;
        const int pb = p0 + ti;
        aTile[ti][tj] = (i < M && pa < K) ? a[aOffset + i * ars + pa * acs] : 0.0f;
        bTile[ti][tj] = (pb < K && j < N) ? b[bOffset + pb * brs + j * bcs] : 0.0f;
        barrier(CLK_LOCAL_MEM_FENCE);
        #pragma unroll
        for (int p = 0; p < GEMM_TILE; ++p) total = fma(aTile[ti][p], bTile[p][tj], total);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (i < M && j < N) {
        __global float* cp = c + cOffset + i * ldc + j;
        *cp = gemm_combine(alpha, total, beta, *cp);
    }
}

// out[i * ldo + p] = a[p * lda + i] for i < M, p < K: op(A) of a transposed GEMM operand laid out
// row-major, so that the block kernel streams its rows contiguously instead of striding by lda (a stride of
// 4 KB maps every load of a column onto one cache set). Each work-item moves a 16 x 16 block: 16
// contiguous loads of 16, 16 contiguous stores of 16. Grid: dim 0 = blocks of i, dim 1 = blocks of p.
__kernel void gemm_transpose(
    const int M, const int K,
    __global const float* a, const int aOffset, const int lda,
    __global float* out, const int outOffset, const int ldo)
{
    const int i0 = get_global_id(0) * 16;
    const int p0 = get_global_id(1) * 16;
    if (i0 >= M || p0 >= K) return;
    if (i0 + 16 <= M && p0 + 16 <= K) {
        float16 rows[16];
        #pragma unroll
        for (int q = 0; q < 16; ++q) rows[q] = vload16(0, a + aOffset + (p0 + q) * lda + i0);
        float block[16][16];
        #pragma unroll
        for (int q = 0; q < 16; ++q) vstore16(rows[q], 0, block[q]);
        #pragma unroll
        for (int r = 0; r < 16; ++r) {
            float16 column;
            column.s0 = block[0][r]; column.s1 = block[1][r]; column.s2 = block[2][r]; column.s3 = block[3][r];
            column.s4 = block[4][r]; column.s5 = block[5][r]; column.s6 = block[6][r]; column.s7 = block[7][r];
            column.s8 = block[8][r]; column.s9 = block[9][r]; column.sa = block[10][r]; column.sb = block[11][r];
            column.sc = block[12][r]; column.sd = block[13][r]; column.se = block[14][r]; column.sf = block[15][r];
            vstore16(column, 0, out + outOffset + (i0 + r) * ldo + p0);
        }
        return;
    }
    for (int r = 0; r < 16 && i0 + r < M; ++r)
        for (int q = 0; q < 16 && p0 + q < K; ++q)
            out[outOffset + (i0 + r) * ldo + p0 + q] = a[aOffset + (p0 + q) * lda + i0 + r];
}

// op(B) (K x N, element (p, j) at b[p*brs + j*bcs]) repacked into panels of W = GEMM_BLOCK_COLS columns laid
// out one after the other, each K x W and contiguous: panels[(j / W)*K*W + p*W + j % W]. A recurrent weight is
// packed once per batch so that every step's gemm_block work-item streams its panel contiguously (a row-major
// B is read W floats per row at a stride of N floats). N % W == 0. One work-item per panel row.
// Grid: dim 0 = panels, dim 1 = p.
__kernel void gemm_pack_panels(
    const int K, const int N,
    __global const float* b, const int bOffset, const int brs, const int bcs,
    __global float* panels, const int panelsOffset)
{
    const int panel = get_global_id(0);
    const int p = get_global_id(1);
    if (panel * GEMM_BLOCK_COLS >= N || p >= K) return;
    const __global float* source = b + bOffset + p * brs + panel * GEMM_BLOCK_COLS * bcs;
    float row[GEMM_BLOCK_COLS];
    if (bcs == 1) {
        vstore16(vload16(0, source), 0, row);
        GEMM_WIDE(vstore16(vload16(1, source), 1, row);)
    } else {
        #pragma unroll
        for (int j = 0; j < GEMM_BLOCK_COLS; ++j) row[j] = source[j * bcs];
    }
    __global float* out = panels + panelsOffset + (panel * K + p) * GEMM_BLOCK_COLS;
    vstore16(vload16(0, row), 0, out);
    GEMM_WIDE(vstore16(vload16(1, row), 1, out);)
}
