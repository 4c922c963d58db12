#!/usr/bin/env bash
# Soak test of `recur serve`: 10 minutes of good requests at the measured capacity with slow clients, dropped
# connections, oversized and malformed bodies mixed in (scripts/soak_serve.py); fails on any failed good
# request or an RSS that grows more than 10% after warm-up.
#
#   scripts/soak-serve.sh [RUN]     # default: a bag-of-words model trained on MR (rt-polarity) first
#
# Environment: SOAK_SECONDS (default 600), RECUR (the binary; default a release build), RECUR_DATA_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${SOAK_SECONDS:-600}"
data="${RECUR_DATA_DIR:-../shared/data}/rt-polarity"
[ -d "$data" ] || { echo "error: $data is missing (the soak's texts and model come from MR)" >&2; exit 1; }
if [ -n "${RECUR:-}" ]; then recur="$RECUR"; else
    command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"
    swift build -c release --product recur >&2
    recur="$PWD/.build/release/recur"
fi
work="$(mktemp -d)"
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
run="${1:-$work/mr}"
if [ ! -f "$run/model.safetensors" ]; then
    "$recur" train --class "pos=$data/rt-polarity.pos" --class "neg=$data/rt-polarity.neg" --encoding cp1252 \
        --model bag --epochs 5 --device cpu --out "$run" > "$work/train.log" 2>&1
fi
iconv -f cp1252 -t utf-8 "$data/rt-polarity.pos" "$data/rt-polarity.neg" > "$work/texts.txt"
"$recur" serve --model "$run" --port 0 --device cpu > "$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 300); do
    port=$(grep -oE "serving on http://[0-9.]+:[0-9]+" "$work/serve.log" | grep -oE "[0-9]+$" || true)
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "$port" ] || { cat "$work/serve.log" >&2; echo "error: the server did not start" >&2; exit 1; }
python3 scripts/soak_serve.py --port "$port" --pid "$server" --texts "$work/texts.txt" --seconds "$seconds"
kill -0 "$server" || { echo "error: the server died" >&2; exit 1; }
