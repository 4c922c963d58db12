#!/usr/bin/env bash
# Recur against PyTorch (CPU, 2 threads) on the same classifier and synthetic batches, side by side:
# LSTM and GRU at hidden 256 and LSTM at hidden 512 (V 20000, E 128, B 64, T 64, Adam). Prints tokens/s,
# peak RSS and Recur/PyTorch ratios for each Recur device given (default: cpu and opencl), medians over rounds;
# int8 inference (recur's --int8 on the CPU backend, PyTorch's quantize_dynamic) beside fp32 and each other.
# PyTorch is installed with pip into a scratch venv ($RECUR_BENCH_VENV, default /tmp/recur-bench-venv).
set -euo pipefail
cd "$(dirname "$0")/.."
devices=("$@")
[ ${#devices[@]} -eq 0 ] && devices=(cpu opencl)
command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"
venv="${RECUR_BENCH_VENV:-/tmp/recur-bench-venv}"
# numpy too: without it torch's tensor-from-list paths fail with "Numpy is not available".
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import torch, numpy" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "torch==2.13.0+cpu" numpy 2>/dev/null || "$venv/bin/pip" install --quiet torch numpy
fi
swift build -c release --product recur >&2
recur=.build/release/recur

configs=("--cell lstm --hidden 256" "--cell gru --hidden 256" "--cell lstm --hidden 512")
printf "| config | runner | train tokens/s | inference tokens/s | peak RSS MiB | train ratio | inference ratio | int8 inference tokens/s | int8 / fp32 | int8 ratio |\n"
printf "|---|---|---|---|---|---|---|---|---|---|\n"
# Rounds alternate the runners, so that a slow phase of a shared machine hits them alike; each figure is the
# median over the rounds ($RECUR_BENCH_ROUNDS, default 3).
rounds="${RECUR_BENCH_ROUNDS:-3}"
for config in "${configs[@]}"; do
    rows=()
    for _ in $(seq "$rounds"); do
        # shellcheck disable=SC2086
        rows+=("$(OMP_NUM_THREADS=2 PYTHONWARNINGS=ignore "$venv/bin/python" scripts/pytorch_baseline.py $config --threads 2)")
        for device in "${devices[@]}"; do
            # shellcheck disable=SC2086
            rows+=("$($recur bench train $config --device "$device" --json 2>/dev/null)")
        done
    done
    python3 - "$config" "${rows[@]}" <<'PY'
import json, statistics, sys
config, rows = sys.argv[1], [json.loads(r) for r in sys.argv[2:]]
runners = list(dict.fromkeys(row["device"] for row in rows))
def median(device, key):
    return statistics.median(row[key] for row in rows if row["device"] == device)
torch_train, torch_infer = median(runners[0], "train_tokens_per_s"), median(runners[0], "inference_tokens_per_s")
torch_int8 = median(runners[0], "int8_inference_tokens_per_s")
for device in runners:
    train, infer = median(device, "train_tokens_per_s"), median(device, "inference_tokens_per_s")
    # int8 (PyTorch's quantize_dynamic, recur's --int8) where the runner has it: the CPU backend and PyTorch.
    has_int8 = all("int8_inference_tokens_per_s" in row for row in rows if row["device"] == device)
    int8 = median(device, "int8_inference_tokens_per_s") if has_int8 else None
    int8_cells = f"{int8:,.0f} | {int8 / infer:.2f}x | {int8 / torch_int8:.2f}x" if int8 else "- | - | -"
    print(f"| {config} | {device} | {train:,.0f} | {infer:,.0f} | {median(device, 'peak_rss_mib'):.0f} | "
          f"{train / torch_train:.2f}x | {infer / torch_infer:.2f}x | {int8_cells} |")
PY
done
