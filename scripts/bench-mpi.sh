#!/usr/bin/env bash
# Data-parallel scaling on this machine, side by side on the same work: one process with T threads against
# N MPI processes of T/N threads each (default 1x2 threads vs 2x1 processes: `scripts/bench-mpi.sh 2`), plus
# one process on one thread for the scaling efficiency. Workloads: an LSTM classifier (H 256, one epoch over
# 8,000 SST-2 sentences, batch 64 a step) and a language model (two-layer LSTM, a pass over the same text,
# batch 32 rows a step). Each rank count trains the same batches per step, so the ratio is the speedup.
# Needs ../shared/data (or $RECUR_DATA_DIR) and Open MPI (libopenmpi-dev openmpi-bin).
set -euo pipefail
cd "$(dirname "$0")/.."
ranks="${1:-2}"
threads="${RECUR_BENCH_THREADS:-$(nproc)}"
data="${RECUR_DATA_DIR:-../shared/data}"
[ -f "$data/sst2/train.tsv" ] || { echo "error: $data/sst2/train.tsv not found (set RECUR_DATA_DIR)" >&2; exit 1; }
command -v mpirun >/dev/null || { echo "error: mpirun not found (apt-get install openmpi-bin libopenmpi-dev)" >&2; exit 1; }
command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"
swift build -c release --product recur >&2
recur="$PWD/.build/release/recur"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
head -8001 "$data/sst2/train.tsv" > "$work/train.tsv"
tail -n +2 "$work/train.tsv" | cut -f1 > "$work/text.txt"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

classifier=(train --train "$work/train.tsv" --split 0.9,0.1,0 --epochs 1 --cell lstm --hidden 256 --device cpu --seed 1)
language_model=(pretrain --text "$work/text.txt" --epochs 1 --layers 2 --hidden 256 --embedding-dim 128 --device cpu
                --valid-fraction 0.01 --checkpoint-every 0 --seed 1)

# Runs one configuration; prints the epoch's training tokens/s from the run's metrics.jsonl.
run() {  # name processes threads-per-process batch-per-process command...
    local name="$1" processes="$2" per="$3" batch="$4"
    shift 4
    local out="$work/$name"
    if [ "$processes" -eq 1 ]; then
        RECUR_CPU_THREADS="$per" "$recur" "$@" --batch-size "$batch" --out "$out" > "$out.log" 2>&1
    else
        mpirun -np "$processes" --oversubscribe --bind-to none -x RECUR_CPU_THREADS="$per" \
            "$recur" "$@" --batch-size "$batch" --out "$out" > "$out.log" 2>&1
    fi
    python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["tokensPerSecond"])' "$out/metrics.jsonl"
}

printf "| workload | 1 process x 1 thread | 1 process x %d threads | %d processes x %d threads | processes / threads | scaling efficiency |\n" \
    "$threads" "$ranks" "$((threads / ranks))"
printf "|---|---|---|---|---|---|\n"
# Rounds alternate the configurations, so that a slow phase of a shared machine hits them alike; each figure
# is the median over the rounds ($RECUR_BENCH_ROUNDS, default 3).
rounds="${RECUR_BENCH_ROUNDS:-3}"
for workload in classifier language_model; do
    if [ "$workload" = classifier ]; then command=("${classifier[@]}"); step=64; else command=("${language_model[@]}"); step=32; fi
    one=() threaded=() spread=()
    for _ in $(seq "$rounds"); do
        one+=("$(run "$workload-1x1" 1 1 "$step" "${command[@]}")")
        threaded+=("$(run "$workload-1x$threads" 1 "$threads" "$step" "${command[@]}")")
        spread+=("$(run "$workload-${ranks}x$((threads / ranks))" "$ranks" "$((threads / ranks))" "$((step / ranks))" "${command[@]}")")
    done
    python3 - "$workload" "$threads" "${one[*]}" "${threaded[*]}" "${spread[*]}" <<'PY'
import statistics, sys
name, threads = sys.argv[1], int(sys.argv[2])
one, threaded, spread = (statistics.median(map(float, figures.split())) for figures in sys.argv[3:6])
print(f"| {name.replace('_', ' ')} | {one:,.0f} tok/s | {threaded:,.0f} tok/s | {spread:,.0f} tok/s | "
      f"{spread / threaded:.2f}x | {spread / (threads * one):.0%} |")
PY
done
