#!/usr/bin/env python3
"""Small sets from ../shared/data for scripts/defaults-results.sh: 2,000 train and 2,000 test texts each, seeded.
  mr    rt-polarity (Pang & Lee sentence polarity, cp1252), 2 classes
  htl   ChnSentiCorp_htl_all (hotel reviews), 2 classes
Usage: make_shared_small.py SHARED_DATA_DIR OUT_DIR"""
import csv, os, random, sys

data, out = sys.argv[1:]


def write(name, rows):
    random.Random(7).shuffle(rows)
    os.makedirs(f"{out}/{name}", exist_ok=True)
    for split, part in (("train", rows[:2000]), ("test", rows[2000:4000])):
        with open(f"{out}/{name}/{split}.csv", "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["label", "text"])
            writer.writerows(part)


rows = []
for label in ("pos", "neg"):
    with open(f"{data}/rt-polarity/rt-polarity.{label}", encoding="cp1252", errors="replace") as f:
        rows += [(label, line.strip()) for line in f if line.strip()]
write("mr", rows)
with open(f"{data}/chnsenticorp_htl_all/ChnSentiCorp_htl_all.csv", encoding="utf-8") as f:
    write("htl", [(r["label"], r["review"].strip()) for r in csv.DictReader(f) if (r["review"] or "").strip()])
