#!/usr/bin/env bash
# The test command: every test target, CPU and OpenCL backends, PyTorch golden values.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"
# The MPI and kill/resume tests run the recur binary as a child process.
swift build --product recur
swift test "$@"
