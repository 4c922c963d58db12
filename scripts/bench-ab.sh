#!/usr/bin/env bash
# Two recur binaries side by side on `recur bench train` (a change against its baseline): rounds alternate
# A B, B A, A B, ... so that neither binary always runs second (on this shared machine the second run of a
# pair was often the faster, which alone read as +11% for a change that did nothing), and each figure is the
# median over the rounds. Prints train, inference and int8 tokens/s per binary and B / A.
# Usage: scripts/bench-ab.sh BASELINE_BINARY CHANGED_BINARY [rounds (default 8)] [recur bench train options]
# Example: scripts/bench-ab.sh /tmp/recur-before .build/release/recur 8 --steps 10 --cell gru
set -euo pipefail
[ $# -ge 2 ] || { sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
a=$1 b=$2
shift 2
rounds=8
if [ $# -gt 0 ] && [[ $1 =~ ^[0-9]+$ ]]; then rounds=$1; shift; fi
for binary in "$a" "$b"; do
    [ -x "$binary" ] || { echo "error: $binary is not an executable" >&2; exit 1; }
done
rows=()
for round in $(seq "$rounds"); do
    order=("$a" "$b")
    [ $((round % 2)) -eq 0 ] && order=("$b" "$a")
    for binary in "${order[@]}"; do
        rows+=("$binary	$("$binary" bench train --device cpu --json "$@" 2>/dev/null)")
    done
done
printf '%s\n' "${rows[@]}" | python3 -c '
import json, statistics, sys
a, b = sys.argv[1], sys.argv[2]
runs = {a: [], b: []}
for line in sys.stdin:
    binary, text = line.rstrip("\n").split("\t", 1)
    runs[binary].append(json.loads(text))
keys = ["train_tokens_per_s", "inference_tokens_per_s", "int8_inference_tokens_per_s"]
def median(binary, key):
    values = [run[key] for run in runs[binary] if key in run]
    return statistics.median(values) if values else None
print("| binary | train tokens/s | inference tokens/s | int8 inference tokens/s |")
print("|---|---|---|---|")
for binary in (a, b):
    cells = " | ".join(f"{median(binary, key):,.0f}" if median(binary, key) else "-" for key in keys)
    print(f"| {binary} | {cells} |")
ratios = " | ".join(f"{median(b, key) / median(a, key):.2f}x" if median(a, key) and median(b, key) else "-" for key in keys)
print(f"| B / A | {ratios} |")
' "$a" "$b"
