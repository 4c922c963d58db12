#!/usr/bin/env python3
"""PyTorch's side of `scripts/int8-results.sh`: a run's torch.nn twin (scripts/torch_twin.py) in fp32 and after
torch.ao.quantization.quantize_dynamic (int8 LSTM/GRU/Linear weights, fbgemm), on the same test set and the same
token ids as recur (`recur export --encode`). Prints one JSON object: accuracy and tokens/s of each.

    scripts/int8_torch_twin.py RUN TEST.tsv [path/to/recur] [--threads 2]

TEST.tsv has a header with a `label` column; the other column is the text. Batches of 64 texts, longest
first, as `recur eval` makes them; the clock covers the forward passes and the softmax, not the tokenizing.
"""
import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_twin import load_run  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("run")
    parser.add_argument("test")
    parser.add_argument("recur", nargs="?", default=".build/release/recur")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    csv.field_size_limit(1 << 30)
    with open(args.test, encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file, delimiter="\t"))  # RFC 4180 quoting, as recur reads it
    text_column = next(name for name in rows[0] if name != "label")
    names = json.load(open(f"{args.run}/config.json"))["labels"]
    labels = [names.index(row["label"].strip()) for row in rows]
    with tempfile.TemporaryDirectory() as scratch:
        texts = os.path.join(scratch, "texts.txt")
        with open(texts, "w", encoding="utf-8") as file:
            file.writelines(row[text_column].replace("\n", " ") + "\n" for row in rows)
        encoded = os.path.join(scratch, "ids.jsonl")
        subprocess.run([args.recur, "export", "--model", args.run, "--out", os.path.join(scratch, "model.onnx"),
                        "--encode", texts, "--encoded-out", encoded], check=True, capture_output=True)
        ids = [json.loads(line)["ids"] for line in open(encoded, encoding="utf-8")]
    assert len(ids) == len(labels), f"{len(ids)} encoded texts for {len(labels)} rows"

    order = sorted(range(len(ids)), key=lambda i: -len(ids[i]))
    batches = []
    for start in range(0, len(order), 64):
        chosen = order[start:start + 64]
        lengths = torch.tensor([max(1, len(ids[i])) for i in chosen])
        tokens = torch.zeros(len(chosen), int(lengths.max()), dtype=torch.long)
        for row, i in enumerate(chosen):
            tokens[row, :len(ids[i])] = torch.tensor(ids[i], dtype=torch.long)
        batches.append((chosen, tokens, lengths))
    token_count = sum(len(x) for x in ids)

    model, _ = load_run(args.run)
    quantized = torch.ao.quantization.quantize_dynamic(
        model, {torch.nn.LSTM, torch.nn.GRU, torch.nn.Linear}, dtype=torch.qint8)

    def evaluate(network):
        predicted = [0] * len(ids)
        best = float("inf")
        with torch.no_grad():
            for _ in range(args.rounds):
                start = time.perf_counter()
                for chosen, tokens, lengths in batches:
                    probabilities = torch.softmax(network(tokens, lengths), dim=1).numpy()
                    for row, i in enumerate(chosen):
                        predicted[i] = int(probabilities[row].argmax())
                best = min(best, time.perf_counter() - start)
        accuracy = sum(p == y for p, y in zip(predicted, labels)) / len(labels)
        return accuracy, token_count / best

    fp32_accuracy, fp32_rate = evaluate(model)
    int8_accuracy, int8_rate = evaluate(quantized)
    print(json.dumps({
        "runner": f"pytorch {torch.__version__} cpu, {args.threads} threads",
        "fp32_accuracy": fp32_accuracy, "int8_accuracy": int8_accuracy,
        "fp32_tokens_per_s": int(fp32_rate), "int8_tokens_per_s": int(int8_rate),
    }))


if __name__ == "__main__":
    main()
