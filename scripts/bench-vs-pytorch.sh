#!/usr/bin/env bash
# Recur against PyTorch (CPU, 2 threads) on the same classifier and synthetic batches, side by side:
# LSTM and GRU at hidden 256 and LSTM at hidden 512 (V 20000, E 128, B 64, T 64, Adam). Prints tokens/s,
# peak RSS and Recur/PyTorch ratios for each Recur device given (default: cpu and opencl).
# PyTorch is installed with pip into a scratch venv ($RECUR_BENCH_VENV, default /tmp/recur-bench-venv).
set -euo pipefail
cd "$(dirname "$0")/.."
devices=("$@")
[ ${#devices[@]} -eq 0 ] && devices=(cpu opencl)
command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"
venv="${RECUR_BENCH_VENV:-/tmp/recur-bench-venv}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import torch" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "torch==2.13.0+cpu" 2>/dev/null || "$venv/bin/pip" install --quiet torch
fi
swift build -c release --product recur >&2
recur=.build/release/recur

configs=("--cell lstm --hidden 256" "--cell gru --hidden 256" "--cell lstm --hidden 512")
printf "| config | runner | train tokens/s | inference tokens/s | peak RSS MiB | train ratio | inference ratio |\n"
printf "|---|---|---|---|---|---|---|\n"
for config in "${configs[@]}"; do
    # shellcheck disable=SC2086
    torch_json=$(OMP_NUM_THREADS=2 "$venv/bin/python" scripts/pytorch_baseline.py $config --threads 2)
    rows=("$torch_json")
    for device in "${devices[@]}"; do
        # shellcheck disable=SC2086
        rows+=("$($recur bench train $config --device "$device" --json 2>/dev/null)")
    done
    python3 - "$config" "${rows[@]}" <<'PY'
import json, sys
config, torch_row = sys.argv[1], json.loads(sys.argv[2])
recur_rows = [json.loads(r) for r in sys.argv[3:]]
for row in [torch_row] + recur_rows:
    train = row["train_tokens_per_s"] / torch_row["train_tokens_per_s"]
    infer = row["inference_tokens_per_s"] / torch_row["inference_tokens_per_s"]
    print(f"| {config} | {row['device']} | {row['train_tokens_per_s']:,} | {row['inference_tokens_per_s']:,} | "
          f"{row['peak_rss_mib']} | {train:.2f}x | {infer:.2f}x |")
PY
done
