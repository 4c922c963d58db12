#!/usr/bin/env python3
"""The small IMDB setting of issue 16: 10,000 unlabeled reviews for a language model, 1,000 labeled train
reviews and 2,000 labeled test reviews (seeded, class-balanced), as a new user would have them.
Usage: make_imdb_small.py ACLIMDB_DIR IMDB_UNSUP_TXT_XZ OUT_DIR"""
import csv, lzma, os, random, sys

acl, unsup, out = sys.argv[1:]
os.makedirs(out, exist_ok=True)

with lzma.open(unsup, "rt", encoding="utf-8") as f, open(f"{out}/unsup-10k.txt", "w", encoding="utf-8") as w:
    for i, line in enumerate(f):
        if i == 10_000: break
        w.write(line)

def sample(split, per_class, seed):
    rows = []
    for label in ("neg", "pos"):
        names = sorted(os.listdir(f"{acl}/{split}/{label}"))
        for name in random.Random(seed).sample(names, per_class):
            with open(f"{acl}/{split}/{label}/{name}", encoding="utf-8") as f:
                rows.append((label, f.read().replace("\n", " ").strip()))
    random.Random(seed).shuffle(rows)
    return rows

for name, split, per_class in (("train-1k", "train", 500), ("test-2k", "test", 1000)):
    with open(f"{out}/{name}.csv", "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["label", "text"])
        writer.writerows(sample(split, per_class, seed=16))
print(f"wrote {out}/unsup-10k.txt, train-1k.csv, test-2k.csv", file=sys.stderr)
