#!/usr/bin/env bash
# Installs the system packages Recur builds and tests with (Debian/Ubuntu; run as root or with sudo):
# the OpenCL ICD loader and headers, PoCL (an OpenCL device on the CPU), clinfo and Open MPI (`mpirun -np N recur
# train`); and onnxruntime from PyPI for the ONNX export's round-trip tests (they skip with a note where it
# cannot install).
set -euo pipefail
packages=(ocl-icd-opencl-dev opencl-headers pocl-opencl-icd clinfo libopenmpi-dev openmpi-bin)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "installing: ${missing[*]}"
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}"
fi
command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"
command -v swift >/dev/null || { echo "error: Swift 6 is required (https://swift.org/install)" >&2; exit 1; }
if command -v python3 >/dev/null && ! python3 -c "import onnxruntime, numpy" 2>/dev/null; then
    python3 -m pip install --quiet --disable-pip-version-check onnxruntime numpy 2>/dev/null \
        || echo "note: onnxruntime did not install; the ONNX round-trip tests will be skipped" >&2
fi
