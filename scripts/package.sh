#!/usr/bin/env bash
# A portable release binary for Linux x86-64 boxes without Swift (a GPU box): the Swift standard library and
# Foundation linked in statically, the CPU kernels built for haswell (AVX2 and FMA: every x86 server CPU
# since 2013) instead of this machine's CPU, no MPI (RECUR_MPI=0; training under mpirun wants the system's
# Open MPI, so build on the cluster for that). Beyond the C library it needs only libOpenCL.so.1 (an ICD loader:
# ocl-icd-libopencl1), and runs on the CPU backend where no OpenCL device is present.
#
#   scripts/package.sh                  # writes dist/recur and dist/recur-linux-x86_64.tar.gz
#   RECUR_TARGET_CPU=skylake-avx512 ... # AVX-512 machines only (LLVM CPU names: -target-cpu rejects x86-64-v3)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"
export RECUR_TARGET_CPU="${RECUR_TARGET_CPU:-haswell}" RECUR_MPI=0
# Its own build folder: these settings would otherwise rebuild everything in .build each way.
swift build -c release --product recur --static-swift-stdlib --scratch-path .build-package >&2
mkdir -p dist
cp .build-package/release/recur dist/recur
strip dist/recur

# What it links: the C runtime and libOpenCL.so.1, nothing of Swift's.
allowed='^(linux-vdso\.so\.1|libOpenCL\.so\.1|libc\.so\.6|libm\.so\.6|libstdc\+\+\.so\.6|libgcc_s\.so\.1|/lib64/ld-linux-x86-64\.so\.2)$'
needed=$(ldd dist/recur | awk '{print $1}')
unexpected=$(echo "$needed" | grep -Ev "$allowed" || true)
if [ -n "$unexpected" ]; then
    echo "error: dist/recur links libraries a box without Swift may lack:" >&2
    echo "$unexpected" >&2
    exit 1
fi
# It must run with no Swift on the library path, and find its kernels inside itself.
env -i PATH=/usr/bin:/bin dist/recur --help > /dev/null
env -i PATH=/usr/bin:/bin dist/recur devices >&2
tar -czf dist/recur-linux-x86_64.tar.gz -C dist recur
echo "dist/recur ($(du -h dist/recur | cut -f1)): links $(echo "$needed" | grep -v vdso | tr '\n' ' ')" >&2
echo "dist/recur-linux-x86_64.tar.gz" >&2
