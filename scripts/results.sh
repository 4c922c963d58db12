#!/usr/bin/env bash
# Reproduces the README's results table: trains from scratch on the four benchmark data sets in
# ../shared/data (or $RECUR_DATA_DIR) and prints one markdown row per run.
# Usage: scripts/results.sh [--device cpu|opencl] [mr sst2 chnsenticorp imdb]
set -euo pipefail
cd "$(dirname "$0")/.."
device=cpu
if [ "${1:-}" = "--device" ]; then device=$2; shift 2; fi
sets=("$@")
[ ${#sets[@]} -eq 0 ] && sets=(mr sst2 chnsenticorp imdb)
data="${RECUR_DATA_DIR:-../shared/data}"
[ -d "$data" ] || { echo "error: $data not found (set RECUR_DATA_DIR)" >&2; exit 1; }
command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"
swift build -c release --product recur >&2
recur=.build/release/recur
runs="runs/results-$device"
mkdir -p "$runs"

# The data sets' settings, shared by both devices. Test splits are evaluated once, after training.
train() {  # name, then recur train arguments
    local name=$1; shift
    local start=$(date +%s)
    $recur train --recipe none --device "$device" --out "$runs/$name" "$@" > "$runs/$name.log" 2>&1 || { tail -5 "$runs/$name.log" >&2; return 1; }
    python3 - "$runs/$name" "$name" "$device" "$(( $(date +%s) - start ))" <<'PY'
import json, sys
folder, name, device, seconds = sys.argv[1:]
report = json.load(open(folder + "/report.json"))
print(f"| {name} | {device} | {report['test']['accuracy']:.4f} | {report['test']['macroF1']:.4f} | "
      f"{report['bestEpoch']}/{report['epochsRun']} | {report['secondsPerEpoch']:.0f} s | {report['trainTokensPerSecond']:.0f} |")
PY
}

echo "| data set | device | test accuracy | macro F1 | best/run epochs | time per epoch | train tokens/s |"
echo "|---|---|---|---|---|---|---|"
for set in "${sets[@]}"; do
    case $set in
    mr)
        train mr --class pos="$data/rt-polarity/rt-polarity.pos" --class neg="$data/rt-polarity/rt-polarity.neg" \
            --encoding cp1252 --split 0.81,0.09,0.1 \
            --cell lstm --hidden 128 --pooling concat --embedding-dropout 0.5 --dropout 0.5 --lr 1e-3 \
            --epochs 20 --patience 5 ;;
    sst2)
        # Trained on SST-2 train only; 5% of it validates; the GLUE dev set is the test.
        train sst2 --train "$data/sst2/train.tsv" --test "$data/sst2/dev.tsv" --split 0.95,0.05 \
            --cell lstm --hidden 256 --pooling concat --embedding-dropout 0.5 --dropout 0.5 --lr 1e-3 \
            --epochs 6 --patience 2 ;;
    chnsenticorp)
        train chnsenticorp --train "$data/chnsenticorp/train.tsv" --valid "$data/chnsenticorp/dev.tsv" \
            --test "$data/chnsenticorp/test.tsv" --max-len 300 \
            --cell gru --bidirectional --hidden 128 --pooling concat --dropout 0.5 --epochs 10 --patience 3 ;;
    imdb)
        extracted="${TMPDIR:-/tmp}/recur-imdb"
        if [ ! -d "$extracted/aclImdb/test/pos" ]; then
            mkdir -p "$extracted"
            xz -dc "$data/imdb/aclImdb_v1_labeled.tar.xz" | tar x -C "$extracted"
        fi
        train imdb --train "$extracted/aclImdb/train" --classes neg,pos --test "$extracted/aclImdb/test" --split 0.9,0.1 \
            --max-len 400 --cell gru --bidirectional --hidden 128 --pooling concat --dropout 0.5 --epochs 6 --patience 2 ;;
    *) echo "unknown data set $set (mr, sst2, chnsenticorp, imdb)" >&2; exit 2 ;;
    esac
done
