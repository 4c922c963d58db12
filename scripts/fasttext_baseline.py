#!/usr/bin/env python3
"""fastText's side of scripts/vs-fasttext.sh: `fasttext supervised` through its Python binding, with the settings
issue 16 measured (25 epochs, word bigrams; the rest fastText's defaults: dim 100, lr 0.1, minCount 1, softmax),
one thread so a run repeats exactly. Text is tokenized as Recur does by default (lower-cased words and
punctuation; each CJK character a token), so both sides see the same tokens.
Usage: fasttext_baseline.py TRAIN.csv TEST.csv  -> prints test accuracy"""
import csv, os, re, sys, tempfile
import fasttext

token = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[^\W_]+(?:'[^\W_]+)*|[^\w\s]", re.UNICODE)


def lines(path):
    with open(path, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            yield f"__label__{row['label']} " + " ".join(token.findall(row["text"].lower()))


train, test = sys.argv[1:3]
with tempfile.TemporaryDirectory() as scratch:
    files = {}
    for name, path in (("train", train), ("test", test)):
        files[name] = os.path.join(scratch, name + ".txt")
        with open(files[name], "w", encoding="utf-8") as f:
            f.write("\n".join(lines(path)) + "\n")
    model = fasttext.train_supervised(files["train"], epoch=25, wordNgrams=2, thread=1, verbose=0)
    count, precision_at_1, _ = model.test(files["test"])
    print(f"{precision_at_1:.4f}")  # one label a line: precision at 1 is accuracy
