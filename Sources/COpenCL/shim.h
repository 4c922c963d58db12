// OpenCL 1.2 is the common ground of every driver Recur meets (NVIDIA, AMD, Intel, PoCL):
// target it so the headers expose exactly the API the backend may call.
#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>
