#!/usr/bin/env bash
# Recur on whatever OpenCL GPU this machine has, in under 8 minutes: the devices, every kernel checked against
# the CPU and timed, training steps of LSTM and GRU at H 256 and 512 on the CPU backend and the GPU, and a short
# real training run on both whose losses must match. Without an OpenCL GPU it says so and stops after listing
# the devices (exit 0).
#
#   scripts/gpu-check.sh [RESULTS.md]
#
# The binary: $RECUR, else dist/recur (scripts/package.sh; for boxes without Swift), else a release build.
# The training data: $RECUR_DATA_DIR/sst2 when present, else a generated two-class set (no downloads).
set -euo pipefail
cd "$(dirname "$0")/.."
results="${1:-gpu-check.md}"
if [ -n "${RECUR:-}" ]; then recur="$RECUR"
elif [ -x dist/recur ]; then recur="$PWD/dist/recur"
else
    command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"
    swift build -c release --product recur >&2
    recur="$PWD/.build/release/recur"
fi
started=$(date +%s)
say() { echo "$@" | tee -a "$results"; }
: > "$results"
say "# Recur GPU check, $(date -u +%Y-%m-%d), $(uname -m)"
say ""
say '```'
"$recur" devices 2>&1 | tee -a "$results"
say '```'
# The first GPU, as --device auto picks it; RECUR_CHECK_DEVICE=opencl:N checks another device (PoCL, to try
# this script on a machine without a GPU).
gpu="${RECUR_CHECK_DEVICE:-$("$recur" devices 2>/dev/null | awk '/^opencl:/ {id = $1} /type GPU/ {print id; exit}')}"
if [ -z "$gpu" ]; then
    say "No OpenCL GPU on this machine: the GPU part is skipped (see \`recur devices\`; install the vendor's OpenCL driver)."
    exit 0
fi
say ""
say "GPU: $gpu"

say ""
say "## Kernels (checked against the CPU backend, then timed)"
say '```'
"$recur" bench kernels --device "$gpu" --seconds 0.2 2>&1 | tee -a "$results"
say '```'

say ""
say "## Training steps (V 20000, E 128, B 64, T 64, Adam; synthetic batches)"
say ""
say "| config | CPU train tok/s | GPU train tok/s | GPU/CPU train | CPU inference tok/s | GPU inference tok/s | GPU/CPU inference |"
say "|---|---|---|---|---|---|---|"
for config in "--cell lstm --hidden 256" "--cell gru --hidden 256" "--cell lstm --hidden 512" "--cell gru --hidden 512"; do
    # shellcheck disable=SC2086
    cpu=$("$recur" bench train $config --device cpu --steps 10 --json 2>/dev/null)
    # shellcheck disable=SC2086
    gpu_row=$("$recur" bench train $config --device "$gpu" --steps 20 --json 2>/dev/null)
    python3 - "$config" "$cpu" "$gpu_row" <<'PY' | tee -a "$results"
import json, sys
config, cpu, gpu = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
t, i = "train_tokens_per_s", "inference_tokens_per_s"
print(f"| {config} | {cpu[t]:,.0f} | {gpu[t]:,.0f} | {gpu[t] / cpu[t]:.1f}x | {cpu[i]:,.0f} | {gpu[i]:,.0f} | {gpu[i] / cpu[i]:.1f}x |")
PY
done

say ""
say "## A real training run, CPU against GPU (LSTM H 256, 2 epochs, no dropout, same seed)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
data="${RECUR_DATA_DIR:-../shared/data}/sst2/train.tsv"
if [ -f "$data" ]; then
    head -6001 "$data" > "$work/train.tsv"
    say "data: the first 6,000 sentences of SST-2's training set"
else
    # Two classes told apart by their words, in a fixed pseudo-random order: the same file on every machine.
    awk 'BEGIN { srand(7); print "text\tlabel"
        split("good great fine lovely superb warm fun clever", p); split("bad dull awful poor boring weak grim slow", n)
        split("the film plot was a and acting story it very quite of", w)
        for (r = 0; r < 6000; r++) { s = ""; len = 6 + int(rand() * 20)
            for (i = 0; i < len; i++) { x = rand(); s = s (i ? " " : "") (x < 0.3 ? (r % 2 ? p[1 + int(rand() * 8)] : n[1 + int(rand() * 8)]) : w[1 + int(rand() * 12)]) }
            print s "\t" (r % 2 ? "pos" : "neg") } }' > "$work/train.tsv"
    say "data: 6,000 generated two-class texts (no data set found at $data)"
fi
flags=(--train "$work/train.tsv" --epochs 2 --patience 0 --cell lstm --hidden 256 --dropout 0 --embedding-dropout 0
       --word-dropout 0 --rnn-dropout 0 --batch-size 64 --seed 1)
"$recur" train "${flags[@]}" --device cpu --out "$work/cpu" > "$work/cpu.log" 2>&1
"$recur" train "${flags[@]}" --device "$gpu" --out "$work/gpu" > "$work/gpu.log" 2>&1
python3 - "$work/cpu" "$work/gpu" <<'PY' | tee -a "$results"
import json, sys
def epochs(folder):
    return [json.loads(line) for line in open(f"{folder}/metrics.jsonl")]
cpu, gpu = epochs(sys.argv[1]), epochs(sys.argv[2])
print("\n| epoch | CPU train loss | GPU train loss | relative difference | CPU valid acc | GPU valid acc | CPU s | GPU s |")
print("|---|---|---|---|---|---|---|---|")
worst = 0.0
for c, g in zip(cpu, gpu):
    difference = abs(c["trainLoss"] - g["trainLoss"]) / abs(c["trainLoss"])
    worst = max(worst, difference)
    print(f"| {c['epoch']} | {c['trainLoss']:.5f} | {g['trainLoss']:.5f} | {difference:.2e} | {c['validAccuracy']:.4f} | "
          f"{g['validAccuracy']:.4f} | {c['seconds']:.1f} | {g['seconds']:.1f} |")
ok = worst < 1e-2 and len(cpu) == len(gpu)
print(f"\nlosses {'match' if ok else 'DO NOT match'}: worst relative difference {worst:.2e} (limit 1e-2)")
sys.exit(0 if ok else 1)
PY
say ""
say "total: $(( $(date +%s) - started )) s"
