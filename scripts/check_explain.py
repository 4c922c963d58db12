#!/usr/bin/env python3
"""`recur explain` against Captum on the PyTorch twin of a trained run: integrated gradients
(LayerIntegratedGradients on the word embeddings, Gauss-Legendre, 50 steps, baseline = padding with
[CLS]/[SEP]/start tokens kept) and occlusion (Occlusion over the embeddings, one token per window), per token.

    scripts/check_explain.py RUN [--texts sst2/dev.tsv] [--count 20] [--recur .build/release/recur] [--tolerance 1e-4]

RUN is a recurrent or bag run folder (twin: scripts/torch_twin.py) or a Transformer run (twin: transformers'
BertForSequenceClassification on the run's model.safetensors). Texts: the first --count sentences of a TSV with a
`sentence` column, or of a text file with one per line. Needs torch, captum, safetensors (and transformers for a
Transformer run); exits 1 if any token differs by more than --tolerance.
"""
import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def read_texts(path, count):
    with open(path, encoding="utf-8", newline="") as f:
        if path.endswith((".tsv", ".csv")):
            rows = csv.DictReader(f, delimiter="\t" if path.endswith(".tsv") else ",", quoting=csv.QUOTE_NONE)
            texts = [row["sentence"] if "sentence" in row else row["text"] for row in rows]
        else:
            texts = [line.strip() for line in f]
    return [text for text in texts if text.strip()][:count]


def recur_explain(recur, run, texts, method):
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as f:
        f.write("\n".join(texts) + "\n")
        path = f.name
    try:
        # Captum integrates with a fixed n_steps; Recur's default doubles the points until complete.
        output = subprocess.run([recur, "explain", "--model", run, "--input", path, "--method", method, "--steps", "50",
                                 "--json", "--device", "cpu"], capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(path)
    return [json.loads(line) for line in output.splitlines()]


class RecurrentTwin:
    def __init__(self, run):
        from torch_twin import load_run
        self.model, self.vocab = load_run(run)
        self.start = json.load(open(f"{run}/config.json"))["text"].get("startToken")
        self.layer = self.model.embedding

    def ids(self, tokens):
        return [self.vocab.get(token, 1) for token in tokens]

    def markers(self, tokens):
        return [token == self.start for token in tokens]

    def probabilities(self, ids):
        return torch.softmax(self.model(ids, torch.tensor([ids.shape[1]] * ids.shape[0])), dim=1)

    def probabilities_of_embeddings(self, embedded):
        batch, steps = embedded.shape[:2]
        return torch.softmax(self.model(None, torch.tensor([steps] * batch), embedded=embedded), dim=1)


class TransformerTwin:
    def __init__(self, run):
        import transformers
        from safetensors.torch import load_file
        config = json.load(open(f"{run}/config.json"))["model"]
        transformer = config["transformer"]
        if transformer["pooling"] != "cls":
            sys.exit("error: the Captum check covers [CLS] pooling (BertForSequenceClassification)")
        bert = transformers.BertConfig(**transformer["bert"], num_labels=transformer["classCount"])
        self.model = transformers.BertForSequenceClassification(bert).eval()
        missing, unexpected = self.model.load_state_dict(load_file(f"{run}/model.safetensors"), strict=False)
        if unexpected or [key for key in missing if "position_ids" not in key]:
            sys.exit(f"error: {run}: tensors missing {missing}, unexpected {unexpected}")
        self.vocab = {token: i for i, token in enumerate(open(f"{run}/vocab.txt", encoding="utf-8").read().split("\n"))}
        self.layer = self.model.bert.embeddings.word_embeddings

    def ids(self, tokens):
        return [self.vocab.get(token, self.vocab["[UNK]"]) for token in tokens]

    def markers(self, tokens):
        return [token in ("[CLS]", "[SEP]") for token in tokens]

    def probabilities(self, ids):
        return torch.softmax(self.model(input_ids=ids, attention_mask=torch.ones_like(ids)).logits, dim=1)

    def probabilities_of_embeddings(self, embedded):
        mask = torch.ones(embedded.shape[:2], dtype=torch.long)
        return torch.softmax(self.model(inputs_embeds=embedded, attention_mask=mask).logits, dim=1)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run")
    parser.add_argument("--texts", default=os.path.join(os.path.dirname(__file__), "../../shared/data/sst2/dev.tsv"))
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--recur", default=".build/release/recur")
    parser.add_argument("--tolerance", type=float, default=1e-4)
    arguments = parser.parse_args()
    from captum.attr import LayerIntegratedGradients, Occlusion
    torch.manual_seed(0)
    config = json.load(open(f"{arguments.run}/config.json"))
    twin = TransformerTwin(arguments.run) if config["model"].get("encoder") == "transformer" else RecurrentTwin(arguments.run)
    texts = read_texts(arguments.texts, arguments.count)
    labels = config["labels"]["names"] if isinstance(config["labels"], dict) else config["labels"]
    worst = {"ig": 0.0, "occlusion": 0.0}
    for method in ("ig", "occlusion"):
        for explained in recur_explain(arguments.recur, arguments.run, texts, method):
            tokens = explained["tokens"]
            ids = torch.tensor([twin.ids(tokens)])
            markers = twin.markers(tokens)
            pad = 0 if isinstance(twin, RecurrentTwin) else twin.vocab["[PAD]"]
            baseline = torch.tensor([[i if marker else pad for i, marker in zip(ids[0].tolist(), markers)]])
            target = labels.index(explained["label"])
            if method == "ig":
                lig = LayerIntegratedGradients(twin.probabilities, twin.layer)
                attributions = lig.attribute(ids, baselines=baseline, target=target, n_steps=50,
                                             method="gausslegendre").sum(-1)[0]
            else:
                with torch.no_grad():
                    embedded, embedded_baseline = twin.layer(ids), twin.layer(baseline)
                    width = embedded.shape[-1]
                    attributions = Occlusion(twin.probabilities_of_embeddings).attribute(
                        embedded, sliding_window_shapes=(1, width), strides=(1, width), baselines=embedded_baseline,
                        target=target)[0, :, 0]
            ours = explained["token_scores"]
            for position, (a, b) in enumerate(zip(ours, attributions.tolist())):
                if method == "occlusion" and markers[position]:
                    continue  # the baseline keeps markers: Recur scores them 0, Captum occludes every window
                worst[method] = max(worst[method], abs(a - b))
    for method, difference in worst.items():
        print(f"{method}: largest per-token difference from Captum {difference:.2e} over {len(texts)} texts "
              f"({'ok' if difference <= arguments.tolerance else 'FAIL'} at {arguments.tolerance:g})")
    sys.exit(0 if max(worst.values()) <= arguments.tolerance else 1)


if __name__ == "__main__":
    main()
