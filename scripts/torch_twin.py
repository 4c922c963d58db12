#!/usr/bin/env python3
"""The torch.nn twin of a Recur classifier, and a check that it predicts what `recur predict` does.

    from torch_twin import load_run
    model, vocab = load_run("runs/mr")     # reads config.json, vocab.txt and model.safetensors

Run as a script it checks a run folder:  scripts/torch_twin.py runs/mr [path/to/recur]
(needs torch and safetensors; texts are chosen so that splitting on spaces equals Recur's tokenizer).
"""
import json
import subprocess
import sys

import torch
from safetensors.torch import load_file


class RecurClassifier(torch.nn.Module):
    """Embedding -> LSTM/GRU/RNN (none for a bag) -> pooling -> Linear (or ULMFiT's BatchNorm head, then
    Linear), with Recur's parameter names and semantics."""

    def __init__(self, m):
        super().__init__()
        self.pooling = m["pooling"]
        self.bag = m.get("encoder", "recurrent") == "bag"
        self.embedding = torch.nn.Embedding(m["vocabularySize"], m["embeddingDimension"], padding_idx=0)
        pieces = 3 if self.pooling == "concat" else 1
        if self.bag:
            features = m["embeddingDimension"] * pieces
        else:
            cell = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[m["cell"]]
            self.rnn = cell(m["embeddingDimension"], m["hiddenSize"], num_layers=m["layers"],
                            bidirectional=m["bidirectional"], batch_first=True)
            features = m["hiddenSize"] * (2 if m["bidirectional"] else 1) * pieces
        self.head = None
        if m.get("head", "linear") == "ulmfit":
            hidden = m.get("headHidden", 50)
            self.head = torch.nn.Sequential(
                torch.nn.BatchNorm1d(features), torch.nn.Dropout(m["featureDropout"]), torch.nn.Linear(features, hidden),
                torch.nn.ReLU(), torch.nn.BatchNorm1d(hidden), torch.nn.Dropout(m.get("headDropout", 0.1)))
            features = hidden
        self.fc = torch.nn.Linear(features, m["classCount"])

    def forward(self, tokens, lengths, embedded=None):
        """tokens [B, T] (ids from vocab.txt, 0-padded), lengths [B]; `embedded` [B, T, E] replaces the
        embedding lookup (attribution runs the model on interpolated or occluded embeddings)."""
        if embedded is None:
            embedded = self.embedding(tokens)
        if self.bag:
            out = embedded
            valid = (torch.arange(out.shape[1])[None, :] < lengths[:, None]).unsqueeze(-1)
            pooled = (out * valid).sum(1) / lengths[:, None] if self.pooling == "mean" \
                else out.masked_fill(~valid, float("-inf")).max(1).values
            return self.fc(self.head(pooled) if self.head is not None else pooled)
        packed = torch.nn.utils.rnn.pack_padded_sequence(
            embedded, lengths, batch_first=True, enforce_sorted=False)
        out, state = self.rnn(packed)
        h_n = state[0] if isinstance(state, tuple) else state
        out, _ = torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=True)
        directions = 2 if self.rnn.bidirectional else 1
        last = torch.cat([h_n[d - directions] for d in range(directions)], dim=1)
        valid = (torch.arange(out.shape[1])[None, :] < lengths[:, None]).unsqueeze(-1)
        mean = (out * valid).sum(1) / lengths[:, None]
        top = out.masked_fill(~valid, float("-inf")).max(1).values
        features = {"last": [last], "mean": [mean], "max": [top], "concat": [last, mean, top]}[self.pooling]
        features = torch.cat(features, dim=1)
        return self.fc(self.head(features) if self.head is not None else features)


def load_run(folder):
    config = json.load(open(f"{folder}/config.json"))
    model = RecurClassifier(config["model"])
    # Recur does not count BatchNorm's batches (num_batches_tracked: only used when momentum is None).
    missing, unexpected = model.load_state_dict(load_file(f"{folder}/model.safetensors"), strict=False)
    if unexpected or any(not key.endswith("num_batches_tracked") for key in missing):
        raise ValueError(f"{folder}: tensors missing {missing}, unexpected {unexpected}")
    vocab = {token: i for i, token in enumerate(open(f"{folder}/vocab.txt", encoding="utf-8").read().split("\n")[:-1])}
    return model.eval(), vocab


def main():
    folder = sys.argv[1]
    recur = sys.argv[2] if len(sys.argv) > 2 else ".build/release/recur"
    texts = ["a gorgeous , witty , seductive movie .", "the plot is a mess and the acting is worse",
             "not bad at all", "boring"]
    model, vocab = load_run(folder)
    text_config = json.load(open(f"{folder}/config.json"))["text"]
    n = text_config.get("wordNgrams") or 1
    def tokens_of(text):  # words, then their n-grams up to n (TextPipeline.appendingNgrams), or after the start token
        words = text.split()
        if n > 1:
            return words + [" ".join(words[i:i + k]) for k in range(2, n + 1) for i in range(len(words) - k + 1)]
        return ([text_config["startToken"]] if text_config.get("startToken") else []) + words
    ids = [[vocab.get(token, 1) for token in tokens_of(text)] for text in texts]
    lengths = torch.tensor([len(x) for x in ids])
    tokens = torch.zeros(len(ids), int(lengths.max()), dtype=torch.long)
    for row, x in enumerate(ids):
        tokens[row, :len(x)] = torch.tensor(x)
    with torch.no_grad():
        torch_probabilities = torch.softmax(model(tokens, lengths), dim=1)
    labels = json.load(open(f"{folder}/config.json"))["labels"]
    output = subprocess.run([recur, "predict", "--model", folder, "--device", "cpu", "--json", *texts],
                            capture_output=True, text=True, check=True).stdout.splitlines()
    worst = 0.0
    for row, line in enumerate(output):
        recur_probabilities = json.loads(line)["probabilities"]
        for column, label in enumerate(labels):
            worst = max(worst, abs(recur_probabilities[label] - float(torch_probabilities[row, column])))
    print(f"torch twin vs recur predict: largest probability difference {worst:.2e} over {len(texts)} texts")
    sys.exit(0 if worst < 1e-4 else 1)


if __name__ == "__main__":
    main()
