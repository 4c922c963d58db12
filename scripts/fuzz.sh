#!/usr/bin/env bash
# Fuzzes the readers of user files with libFuzzer: CSV, TSV, JSON Lines, vocab.txt, word vectors,
# safetensors and config.json (Sources/RecurFuzz; a reader must throw on bad input, never trap).
#
#   scripts/fuzz.sh                 # every target for 600 s, new inputs merged into Tests/Fuzz/corpus
#   scripts/fuzz.sh 20              # 20 s each, corpus left as it is (CI)
#   scripts/fuzz.sh 600 csv jsonl   # some targets
#
# A crash stops with the input that caused it in .build-fuzz/findings/ (reproduce:
# RECUR_FUZZ_TARGET=csv .build-fuzz/release/RecurFuzz FILE); fix it and add a regression test.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(csv tsv jsonl vocabulary vectors safetensors config)
command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"
# Its own build folder: instrumented code must not mix with the normal build.
# Release: a debug executable is linked with main renamed for testing, which leaves libFuzzer without one.
# lld: gold fails on the instrumented objects (an internal error in its DWARF reader).
RECUR_FUZZ=1 RECUR_MPI=0 swift build -c release --scratch-path .build-fuzz --product RecurFuzz -Xswiftc -sanitize=fuzzer \
    -Xswiftc -use-ld=lld >&2
fuzzer=.build-fuzz/release/RecurFuzz
mkdir -p .build-fuzz/findings
merge=$([ "$seconds" -ge 300 ] && echo yes || echo no)
for target in "${targets[@]}"; do
    corpus="Tests/Fuzz/corpus/$target"
    fresh="$(mktemp -d)"
    echo "== $target: $seconds s from $(ls "$corpus" | wc -l) corpus inputs" >&2
    # New inputs go to a scratch folder first (the committed corpus is read, not written).
    if ! RECUR_FUZZ_TARGET="$target" "$fuzzer" "$fresh" "$corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
            -artifact_prefix=".build-fuzz/findings/$target-" -print_final_stats=1 2> ".build-fuzz/$target.log"; then
        tail -40 ".build-fuzz/$target.log" >&2
        echo "error: fuzzing $target found a crash: .build-fuzz/findings/$target-*" >&2
        exit 1
    fi
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" ".build-fuzz/$target.log" | tr '\n' ' ' >&2
    echo >&2
    if [ "$merge" = yes ]; then
        # Keep the inputs that add coverage, minimized.
        RECUR_FUZZ_TARGET="$target" "$fuzzer" -merge=1 "$corpus" "$fresh" 2>> ".build-fuzz/$target.log"
    fi
    rm -rf "$fresh"
done
