#!/usr/bin/env bash
# GEMM side by side with OpenBLAS (issue 4's baseline): `recur bench kernels` on the CPU backend and on OpenCL
# devices, and OpenBLAS sgemm through NumPy, both on 2 threads, at the same shapes and transposes.
# Prints GFLOP/s and ratios to OpenBLAS, medians over rounds that alternate the runners ($RECUR_BENCH_ROUNDS,
# default 3). NumPy (which bundles OpenBLAS) is installed with pip into $RECUR_BENCH_VENV.
# --clblast adds CLBlast on the first OpenCL device (issue 4's OpenCL baseline): Debian's libclblast-dev, installed
# with apt when missing, timed by scripts/clblast_sgemm.c with CLBlast's own parameters and each CPU parameter
# set of its database, the best per shape; once, not per round (it compiles ~10 kernel sets: about 6 minutes).
# Usage: scripts/bench-gemm-vs-openblas.sh [--device cpu|opencl ...] [--clblast]   (default: cpu opencl)
set -euo pipefail
cd "$(dirname "$0")/.."
devices=()
clblast=0
while [ $# -gt 0 ]; do
    case $1 in
    --device) devices+=("$2"); shift 2 ;;
    --clblast) clblast=1; shift ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done
[ ${#devices[@]} -eq 0 ] && devices=(cpu opencl)
venv="${RECUR_BENCH_VENV:-/tmp/recur-bench-venv}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import numpy" 2>/dev/null; then
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet numpy
fi
command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"
swift build -c release --product recur >&2
recur=.build/release/recur
rounds="${RECUR_BENCH_ROUNDS:-3}"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

if [ $clblast = 1 ]; then
    if [ ! -f /usr/include/clblast_c.h ]; then
        [ "$(id -u)" = 0 ] || { echo "error: --clblast needs libclblast-dev (apt-get install libclblast-dev)" >&2; exit 1; }
        apt-get install -y -qq libclblast-dev >&2
    fi
    cc -O2 -o "$out/clblast_sgemm" scripts/clblast_sgemm.c -lclblast -lOpenCL
    "$out/clblast_sgemm" 0 > "$out/clblast.1"
fi

for round in $(seq "$rounds"); do
    OPENBLAS_NUM_THREADS=2 "$venv/bin/python" - > "$out/openblas.$round" <<'PY'
import time, numpy as np
# The shapes of `recur bench kernels`: name, M, N, K, op(A) transposed, op(B) transposed.
shapes = [("NN", 64, 1024, 384), ("NN", 512, 512, 512), ("NN", 4096, 1024, 128), ("NT", 64, 1024, 256),
          ("NT", 64, 768, 256), ("NT", 64, 2048, 512), ("TN", 1024, 256, 4096)]
rng = np.random.default_rng(0)
for kind, m, n, k in shapes:
    a = rng.random((k, m) if kind[0] == "T" else (m, k), dtype=np.float32)
    b = rng.random((n, k) if kind[1] == "T" else (k, n), dtype=np.float32)
    opa = a.T if kind[0] == "T" else a
    opb = b.T if kind[1] == "T" else b
    c = np.empty((m, n), dtype=np.float32)
    np.matmul(opa, opb, out=c)
    best, deadline = float("inf"), time.perf_counter() + 0.5
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        for _ in range(4): np.matmul(opa, opb, out=c)
        best = min(best, (time.perf_counter() - start) / 4)
    print(f"gemm {kind} {m}x{n}x{k}\t{2 * m * n * k / best / 1e9:.1f}")
PY
    for device in "${devices[@]}"; do
        "$recur" bench kernels --device "$device" 2>/dev/null \
            | awk -F'|' '/\| gemm /{ name=$2; sub(/ \(W_hh prepared\)/, "", name); gsub(/^ +| +$/, "", name); gsub(/ /, "", $5); print name "\t" $5 }' \
            > "$out/$device.$round"
    done
done

python3 - "$out" "$rounds" "$clblast" "${devices[@]}" <<'PY'
import statistics, sys
folder, rounds, with_clblast, devices = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1", sys.argv[4:]
def medians(runner, rounds=rounds):
    values = {}
    for r in range(1, rounds + 1):
        for line in open(f"{folder}/{runner}.{r}"):
            name, gflops = line.rstrip("\n").split("\t")
            values.setdefault(name, []).append(float(gflops))
    return {name: statistics.median(v) for name, v in values.items()}
blas = medians("openblas")
runs = {device: medians(device) for device in devices}
clblast = medians("clblast", rounds=1) if with_clblast else None
opencl = next((d for d in devices if d.startswith("opencl")), None)
header = "| GEMM (M x N x K) | OpenBLAS 2 threads GFLOP/s | " + " | ".join(f"recur {d} GFLOP/s | ratio" for d in devices)
if clblast: header += f" | CLBlast (PoCL) GFLOP/s | recur {opencl} / CLBlast"
print(header + " |")
print("|---|---|" + "---|---|" * len(devices) + ("---|---|" if clblast else ""))
for name, base in blas.items():
    cells = []
    for device in devices:
        value = runs[device].get(name)
        cells += [f"{value:.1f}", f"{value / base:.2f}x"] if value else ["-", "-"]
    if clblast:
        theirs, ours = clblast.get(name), runs.get(opencl, {}).get(name) if opencl else None
        cells += [f"{theirs:.1f}" if theirs else "-", f"{ours / theirs:.1f}x" if theirs and ours else "-"]
    print(f"| {name} | {base:.1f} | " + " | ".join(cells) + " |")
PY
