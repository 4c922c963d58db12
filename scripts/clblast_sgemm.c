// CLBlast SGEMM timed on one OpenCL device, for scripts/bench-gemm-vs-openblas.sh: the shapes of
// `recur bench kernels`, row-major, one line per shape: "gemm NN 64x1024x384<TAB>GFLOP/s".
// Debian's CLBlast ships no tuners and its database has no entry for PoCL, so besides CLBlast's own choice
// each shape also runs with every CPU parameter set of CLBlast's Xgemm database (forcing the indirect
// kernel they tune): the best of them stands in for a tuned CLBlast.
// Usage: clblast_sgemm [device index, counting devices across platforms as `recur devices` does]
#define CL_TARGET_OPENCL_VERSION 120
#include <clblast_c.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static cl_device_id find_device(int wanted) {
    cl_platform_id platforms[16];
    cl_uint platform_count = 0;
    if (clGetPlatformIDs(16, platforms, &platform_count) != CL_SUCCESS) return NULL;
    int index = 0;
    for (cl_uint p = 0; p < platform_count; p++) {
        cl_device_id devices[16];
        cl_uint count = 0;
        if (clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_ALL, 16, devices, &count) != CL_SUCCESS) continue;
        for (cl_uint d = 0; d < count; d++, index++)
            if (index == wanted) return devices[d];
    }
    return NULL;
}

// CLBlast's Xgemm database, single precision, its CPU rows (KWG KWI MDIMA MDIMC MWG NDIMB NDIMC NWG SA SB
// STRM STRN VWM VWN), plus its all-device default.
static const size_t xgemm_sets[][14] = {
    {16, 2, 8, 8, 128, 16, 8, 128, 0, 1, 1, 1, 1, 8}, {32, 2, 32, 16, 64, 32, 8, 64, 0, 1, 1, 0, 1, 1},
    {32, 8, 32, 32, 64, 32, 16, 64, 1, 1, 1, 0, 2, 2}, {32, 2, 16, 8, 128, 16, 8, 64, 0, 0, 1, 0, 1, 2},
    {32, 2, 32, 8, 128, 8, 8, 128, 1, 1, 1, 1, 2, 8}, {16, 2, 8, 8, 128, 8, 8, 128, 1, 1, 1, 0, 1, 8},
    {32, 8, 16, 16, 64, 32, 32, 64, 0, 1, 1, 0, 1, 2}, {32, 2, 16, 32, 32, 8, 8, 64, 0, 1, 0, 0, 1, 8},
    {32, 2, 8, 8, 32, 8, 8, 64, 0, 0, 0, 0, 4, 4}, {32, 2, 8, 8, 32, 16, 16, 32, 1, 1, 0, 0, 4, 2},
};
static const char *xgemm_names[] = {"KWG", "KWI", "MDIMA", "MDIMC", "MWG", "NDIMB", "NDIMC", "NWG", "SA", "SB",
                                    "STRM", "STRN", "VWM", "VWN", "GEMMK", "KREG"};

int main(int argc, char **argv) {
    cl_device_id device = find_device(argc > 1 ? atoi(argv[1]) : 0);
    if (!device) { fprintf(stderr, "clblast_sgemm: no such OpenCL device\n"); return 1; }
    cl_int status;
    cl_context context = clCreateContext(NULL, 1, &device, NULL, NULL, &status);
    cl_command_queue queue = clCreateCommandQueue(context, device, 0, &status);
    if (status != CL_SUCCESS) { fprintf(stderr, "clblast_sgemm: no queue (%d)\n", status); return 1; }
    const struct { const char *kind; size_t m, n, k; } shapes[] = {
        {"NN", 64, 1024, 384}, {"NN", 512, 512, 512}, {"NN", 4096, 1024, 128}, {"NT", 64, 1024, 256},
        {"NT", 64, 768, 256}, {"NT", 64, 2048, 512}, {"TN", 1024, 256, 4096},
    };
    enum { shape_count = sizeof shapes / sizeof shapes[0] };
    double best[shape_count];
    for (size_t s = 0; s < shape_count; s++) best[s] = 1e30;
    // Sets outermost: an override stays in force, so CLBlast's own parameters (set 0) run for every shape first.
    size_t set_count = sizeof xgemm_sets / sizeof xgemm_sets[0];
    for (size_t set = 0; set <= set_count; set++) {
        if (set > 0) {  // set 0: CLBlast's own parameters and its choice of direct or indirect kernel
            size_t values[16];
            for (int i = 0; i < 14; i++) values[i] = xgemm_sets[set - 1][i];
            values[14] = 0; values[15] = 1;
            const char *routine_name[] = {"XGEMM_MIN_INDIRECT_SIZE"};
            size_t routine_value[] = {0};
            if (CLBlastOverrideParameters(device, "Xgemm", CLBlastPrecisionSingle, 16, xgemm_names, values) != CLBlastSuccess ||
                CLBlastOverrideParameters(device, "GemmRoutine", CLBlastPrecisionSingle, 1, routine_name, routine_value) != CLBlastSuccess) {
                fprintf(stderr, "clblast_sgemm: parameter set %zu rejected\n", set);
                continue;
            }
        }
        for (size_t s = 0; s < shape_count; s++) {
            size_t m = shapes[s].m, n = shapes[s].n, k = shapes[s].k;
            int ta = shapes[s].kind[0] == 'T', tb = shapes[s].kind[1] == 'T';
            float *host = malloc(sizeof(float) * (m * k + k * n));
            for (size_t i = 0; i < m * k + k * n; i++) host[i] = (float)rand() / RAND_MAX;
            cl_mem a = clCreateBuffer(context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, sizeof(float) * m * k, host, &status);
            cl_mem b = clCreateBuffer(context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, sizeof(float) * k * n, host + m * k, &status);
            cl_mem c = clCreateBuffer(context, CL_MEM_READ_WRITE, sizeof(float) * m * n, NULL, &status);
            free(host);
            // Row-major: op(A) is m x k, stored k x m when transposed; likewise B.
            size_t lda = ta ? m : k, ldb = tb ? k : n;
            #define CALL CLBlastSgemm(CLBlastLayoutRowMajor, ta ? CLBlastTransposeYes : CLBlastTransposeNo, \
                tb ? CLBlastTransposeYes : CLBlastTransposeNo, m, n, k, 1.0f, a, 0, lda, b, 0, ldb, 0.0f, c, 0, n, &queue, NULL)
            CLBlastStatusCode code = CALL;  // the first call compiles CLBlast's kernels
            clFinish(queue);
            if (code != CLBlastSuccess) {
                fprintf(stderr, "clblast_sgemm: set %zu, %s %zux%zux%zu: CLBlastSgemm failed (%d)\n", set, shapes[s].kind, m, n, k, code);
            } else {
                double deadline = now() + 0.3;
                while (now() < deadline) {
                    double start = now();
                    for (int r = 0; r < 4; r++) CALL;
                    clFinish(queue);
                    double seconds = (now() - start) / 4;
                    if (seconds < best[s]) best[s] = seconds;
                }
            }
            clReleaseMemObject(a); clReleaseMemObject(b); clReleaseMemObject(c);
        }
    }
    for (size_t s = 0; s < shape_count; s++) {
        if (best[s] == 1e30) { fprintf(stderr, "clblast_sgemm: no parameter set ran shape %zu\n", s); return 1; }
        printf("gemm %s %zux%zux%zu\t%.1f\n", shapes[s].kind, shapes[s].m, shapes[s].n, shapes[s].k,
               2.0 * shapes[s].m * shapes[s].n * shapes[s].k / best[s] / 1e9);
    }
    return 0;
}
