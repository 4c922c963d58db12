#!/usr/bin/env python3
"""Checks `recur export --format onnx` against `recur predict` on a real data set.

For each run (given with --model, or trained here: a forward LSTM with last pooling, a bidirectional 2-layer
GRU with concat pooling, a bidirectional RNN with mean pooling and an LSTM with max pooling), this exports the
run, tokenizes the texts with recur itself (`recur export --encode`), runs model.onnx in onnxruntime on
shuffled, padded batches, and compares the probabilities with `recur predict --json`. It prints the largest
difference per run and exits non-zero when one exceeds --tolerance (1e-5).

    pip install onnxruntime numpy
    swift build -c release
    python3 scripts/check_onnx.py                       # trains the runs on ../shared/data (well under a minute)
    python3 scripts/check_onnx.py --model runs/mr --texts texts.txt

Texts by default: the SST-2 dev sentences for the English runs (trained on rt-polarity) and the ChnSentiCorp
dev reviews for the Chinese one.
"""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(os.path.dirname(ROOT), "shared", "data")

# (name, training data arguments, text set, model arguments)
RT = ["--class", f"pos={DATA}/rt-polarity/rt-polarity.pos", "--class", f"neg={DATA}/rt-polarity/rt-polarity.neg",
      "--encoding", "cp1252"]
CHN = ["--train", f"{DATA}/chnsenticorp/train.tsv", "--train-sample", "3000", "--tokenizer", "chars"]
RUNS = [
    ("lstm-last", RT, "sst2", ["--cell", "lstm", "--pooling", "last"]),
    ("gru-bi2-concat", RT, "sst2", ["--cell", "gru", "--layers", "2", "--bidirectional", "--pooling", "concat"]),
    ("rnn-bi-mean", CHN, "chnsenticorp", ["--cell", "rnn", "--bidirectional", "--pooling", "mean"]),
    ("lstm-bi-max", RT, "sst2", ["--cell", "lstm", "--bidirectional", "--pooling", "max"]),
]
SMALL = ["--epochs", "2", "--embedding-dim", "32", "--hidden", "24", "--max-vocab", "8000", "--max-len", "120",
         "--batch-size", "32", "--seed", "7"]


def find_recur(explicit):
    for candidate in [explicit, os.environ.get("RECUR"), f"{ROOT}/.build/release/recur", f"{ROOT}/.build/debug/recur"]:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    sys.exit("error: no recur binary: build it (swift build -c release) or pass --recur PATH")


def text_file(kind, work):
    """One text per line from a real data set's TSV (header row, tab-separated)."""
    source, column = {"sst2": (f"{DATA}/sst2/dev.tsv", "sentence"),
                      "chnsenticorp": (f"{DATA}/chnsenticorp/dev.tsv", "text_a")}[kind]
    if not os.path.exists(source):
        sys.exit(f"error: {source} is missing: pass --texts FILE (and --model RUN)")
    path = os.path.join(work, f"{kind}-texts.txt")
    with open(source, encoding="utf-8") as f, open(path, "w", encoding="utf-8") as out:
        header = f.readline().rstrip("\n").split("\t")
        index = header.index(column)
        for line in f:
            text = line.rstrip("\n").split("\t")[index].strip()
            if text:
                out.write(text + "\n")
    return path


def run(command):
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if result.returncode != 0:
        sys.exit(f"error: {' '.join(command)} failed ({result.returncode}):\n{result.stderr}")
    return result.stdout


def check(recur, model, texts, work, device, batch_size):
    import onnxruntime

    export = os.path.join(work, os.path.basename(os.path.normpath(model)) + "-onnx")
    ids_path = os.path.join(export, "ids.jsonl")
    os.makedirs(export, exist_ok=True)
    run([recur, "export", "--model", model, "--format", "onnx", "--out", export,
         "--encode", texts, "--encoded-out", ids_path])
    labels = json.load(open(os.path.join(export, "config.json")))["labels"]
    predicted = [json.loads(line) for line in run([recur, "predict", "--model", model, "--input", texts, "--json",
                                                   "--device", device]).splitlines()]
    encoded = [json.loads(line) for line in open(ids_path, encoding="utf-8")]
    assert len(predicted) == len(encoded), f"{len(predicted)} predictions for {len(encoded)} texts"
    assert all(p["text"] == e["text"] for p, e in zip(predicted, encoded)), "predict and export read different texts"
    expected = np.array([[p["probabilities"][label] for label in labels] for p in predicted], dtype=np.float64)

    session = onnxruntime.InferenceSession(os.path.join(export, "model.onnx"), providers=["CPUExecutionProvider"])
    # Shuffled batches mix long and short texts, so padding and sequence lengths matter.
    order = list(range(len(encoded)))
    random.Random(0).shuffle(order)
    got = np.zeros_like(expected)
    for start in range(0, len(order), batch_size):
        rows = order[start:start + batch_size]
        steps = max(len(encoded[r]["ids"]) for r in rows)
        tokens = np.zeros((len(rows), steps), dtype=np.int64)
        for b, r in enumerate(rows):
            tokens[b, :len(encoded[r]["ids"])] = encoded[r]["ids"]
        lengths = np.array([len(encoded[r]["ids"]) for r in rows], dtype=np.int64)
        probabilities, _ = session.run(["probabilities", "logits"], {"tokens": tokens, "lengths": lengths})
        got[rows] = probabilities
    return float(np.abs(got - expected).max()), len(encoded), float(expected[:, 0].min()), float(expected[:, 0].max())


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", action="append", help="run folder to check (repeatable); default: train small runs")
    parser.add_argument("--texts", help="one text per line (default: SST-2 or ChnSentiCorp dev, by run)")
    parser.add_argument("--recur", help="recur binary (default: $RECUR, .build/release/recur, .build/debug/recur)")
    parser.add_argument("--device", default="cpu", help="device for `recur predict` (default cpu)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--tolerance", type=float, default=1e-5)
    parser.add_argument("--work", help="folder for runs and exports (default: a temporary one, removed)")
    args = parser.parse_args()
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        sys.exit("error: onnxruntime is not installed (pip install onnxruntime)")
    recur = find_recur(args.recur)
    work = args.work or tempfile.mkdtemp(prefix="recur-check-onnx-")
    os.makedirs(work, exist_ok=True)
    try:
        if args.model:
            checks = [(model, args.texts or text_file("sst2", work)) for model in args.model]
        else:
            checks = []
            for name, data, kind, model_args in RUNS:
                out = os.path.join(work, name)
                if not os.path.exists(os.path.join(out, "model.safetensors")):
                    print(f"training {name} ...", flush=True)
                    run([recur, "train", *data, *model_args, *SMALL, "--device", args.device, "--out", out])
                checks.append((out, args.texts or text_file(kind, work)))
        failed = False
        for model, texts in checks:
            difference, count, low, high = check(recur, model, texts, work, args.device, args.batch_size)
            ok = difference <= args.tolerance
            failed |= not ok
            print(f"{'ok  ' if ok else 'FAIL'} {model}: max |p_onnx - p_recur| = {difference:.3g} over {count} texts "
                  f"of {os.path.basename(texts)} (tolerance {args.tolerance:g}; p[0] from {low:.3f} to {high:.3f})", flush=True)
        sys.exit(1 if failed else 0)
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
