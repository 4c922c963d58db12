#!/usr/bin/env bash
# int8 inference (`--int8`: int8 recurrent and linear weights, activations quantized per row, as PyTorch's
# quantize_dynamic) against fp32 on the same trained models: SST-2 (LSTM 256) and ChnSentiCorp (BiGRU 128)
# from scripts/results.sh (trained first unless runs/results-cpu holds them). Each test set is evaluated in fp32
# and int8 on the CPU backend, alternating, $ROUNDS times (default 3; the median eval tokens/s), and by the run's
# PyTorch twin in fp32 and after quantize_dynamic, on the same token ids (2 threads, its best of 3 passes).
set -euo pipefail
cd "$(dirname "$0")/.."
data="${RECUR_DATA_DIR:-../shared/data}"
[ -d "$data/sst2" ] && [ -d "$data/chnsenticorp" ] || { echo "error: $data lacks sst2/chnsenticorp (set RECUR_DATA_DIR)" >&2; exit 1; }
command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"
# PyTorch's quantized twin (scripts/int8_torch_twin.py) runs from a scratch venv, as bench-vs-pytorch.sh's.
venv="${RECUR_BENCH_VENV:-/tmp/recur-bench-venv}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import torch, numpy, safetensors" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet torch numpy safetensors
fi
swift build -c release --product recur >&2
recur=.build/release/recur
rounds="${ROUNDS:-3}"
for set in sst2 chnsenticorp; do
    [ -f "runs/results-cpu/$set/model.safetensors" ] || scripts/results.sh --device cpu "$set" >&2
done

echo "| data set | model | runner | fp32 accuracy | int8 accuracy | int8 - fp32 (points) | fp32 tokens/s | int8 tokens/s | int8 / fp32 | int8 tokens/s vs PyTorch int8 |"
echo "|---|---|---|---|---|---|---|---|---|---|"
# sst2-train: the SST-2 model over its own 67,349 training sentences, for throughput on a long pass (the test
# sets are short passes, where the per-pass set-up weighs).
for set in sst2 chnsenticorp sst2-train; do
    run="runs/results-cpu/${set%-train}"
    case $set in
    sst2) test_file="$data/sst2/dev.tsv" ;;
    chnsenticorp) test_file="$data/chnsenticorp/test.tsv" ;;
    sst2-train) test_file="$data/sst2/train.tsv" ;;
    esac
    results=()
    for _ in $(seq "$rounds"); do
        for flag in "" --int8; do
            # shellcheck disable=SC2086
            report=$($recur eval --model "$run" --data "$test_file" --device cpu $flag --json 2> /tmp/recur-int8-eval.log)
            rate=$(grep -oE "\(([0-9]+) tokens/s\)" /tmp/recur-int8-eval.log | grep -oE "[0-9]+")
            results+=("${flag:-fp32} $(python3 -c 'import json,sys; print(json.load(sys.stdin)["accuracy"])' <<< "$report") $rate")
        done
    done
    torch_row=$(OMP_NUM_THREADS=2 "$venv/bin/python" scripts/int8_torch_twin.py "$run" "$test_file" "$recur" 2>/dev/null)
    python3 - "$set" "$run/config.json" "$torch_row" "${results[@]}" <<'PY'
import json, statistics, sys
name, config, torch_row, rows = sys.argv[1], json.load(open(sys.argv[2]))["model"], json.loads(sys.argv[3]), [r.split() for r in sys.argv[4:]]
model = f"{'Bi' if config['bidirectional'] else ''}{config['cell'].upper()} {config['hiddenSize']}"
accuracy = {kind: float(next(r[1] for r in rows if r[0] == kind)) for kind in ("fp32", "--int8")}
rate = {kind: statistics.median(float(r[2]) for r in rows if r[0] == kind) for kind in ("fp32", "--int8")}
torch_int8 = torch_row["int8_tokens_per_s"]
def row(runner, fp32_accuracy, int8_accuracy, fp32_rate, int8_rate):
    print(f"| {name} | {model} | {runner} | {fp32_accuracy:.4f} | {int8_accuracy:.4f} | {100 * (int8_accuracy - fp32_accuracy):+.2f} | "
          f"{fp32_rate:,.0f} | {int8_rate:,.0f} | {int8_rate / fp32_rate:.2f}x | {int8_rate / torch_int8:.2f}x |")
row("recur cpu", accuracy["fp32"], accuracy["--int8"], rate["fp32"], rate["--int8"])
row(torch_row["runner"], torch_row["fp32_accuracy"], torch_row["int8_accuracy"], torch_row["fp32_tokens_per_s"], torch_int8)
PY
done
