#!/usr/bin/env python3
"""Hugging Face golden values for Recur's BERT encoder (Tests/RecurTests/Fixtures/bert_tiny.json).

A random tiny BERT (transformers BertConfig: vocab 60, hidden 16, 2 layers, 4 heads, intermediate 32, 16 positions,
2 token types, erf GELU, layer_norm_eps 1e-12), torch.manual_seed(0), initializer_range 0.2 so that values are not
tiny; LayerNorm weights/biases (1 + 0.1 randn, 0.1 randn) and every Linear bias (0.1 randn) are random as well, so
their forward effect and gradients are tested. Eager attention, eval() mode (no dropout), float32.

Inputs: 3 sequences of lengths 7, 4, 2: the first id is 2 (CLS-like), the rest uniform in 1..59, padded with 0 to
length 7; attention_mask 1 on valid positions, token_type_ids all 0. Labels [0, 2, 1].

  "cls":  BertForSequenceClassification: pooler (tanh(dense(h[:, 0]))) -> classifier, HF's cross-entropy (mean).
          Stores last_hidden_state (all positions; only valid ones matter), pooled, logits, loss and the gradient
          of the loss for every parameter.
  "mean": the same bert.* weights and classifier.*, but the pooler is replaced by the mean of last_hidden_state
          over valid positions; logits, loss and gradients (bert.pooler.* omitted: it is unused).

Parameters are written with 9 significant digits (float32 round-trips exactly), outputs and gradients with 8.
Usage: make_bert_fixture.py [OUT.json]   (default Tests/RecurTests/Fixtures/bert_tiny.json under the repo root)
"""
import json
import os
import sys

import torch
import transformers
from transformers import BertConfig, BertForSequenceClassification

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "Tests/RecurTests/Fixtures/bert_tiny.json")

CONFIG_FIELDS = [
    "vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "hidden_act",
    "hidden_dropout_prob", "attention_probs_dropout_prob", "max_position_embeddings", "type_vocab_size",
    "initializer_range", "layer_norm_eps", "pad_token_id",
]


def rounded(t, digits):
    return [float(f"{v:.{digits}g}") for v in t.detach().double().reshape(-1).tolist()]


def nested(t, digits):
    t = t.detach().double()
    if t.dim() == 0:
        return float(f"{t.item():.{digits}g}")
    return [nested(row, digits) for row in t]


def main():
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=60, hidden_size=16, num_hidden_layers=2, num_attention_heads=4, intermediate_size=32,
        max_position_embeddings=16, type_vocab_size=2, hidden_act="gelu", layer_norm_eps=1e-12,
        initializer_range=0.2, num_labels=3, pad_token_id=0,
    )
    config._attn_implementation = "eager"
    model = BertForSequenceClassification(config)
    model.eval()
    with torch.no_grad():
        for name, module in model.named_modules():
            if isinstance(module, torch.nn.LayerNorm):
                module.weight.copy_(1 + 0.1 * torch.randn_like(module.weight))
                module.bias.copy_(0.1 * torch.randn_like(module.bias))
            elif isinstance(module, torch.nn.Linear) and module.bias is not None:
                module.bias.copy_(0.1 * torch.randn_like(module.bias))

    lengths = [7, 4, 2]
    T = max(lengths)
    tokens = torch.zeros(len(lengths), T, dtype=torch.long)
    for b, n in enumerate(lengths):
        tokens[b, 0] = 2
        tokens[b, 1:n] = torch.randint(1, 60, (n - 1,))
    mask = (torch.arange(T)[None, :] < torch.tensor(lengths)[:, None]).long()
    token_types = torch.zeros_like(tokens)
    labels = torch.tensor([0, 2, 1])

    parameters = {name: {"shape": list(p.shape), "values": rounded(p, 9)} for name, p in model.named_parameters()}

    # Case "cls": HF's own head and loss.
    model.zero_grad()
    out = model.bert(input_ids=tokens, attention_mask=mask, token_type_ids=token_types)
    hidden, pooled = out.last_hidden_state, out.pooler_output
    full = model(input_ids=tokens, attention_mask=mask, token_type_ids=token_types, labels=labels)
    full.loss.backward()
    cls_grads = {name: rounded(p.grad, 8) for name, p in model.named_parameters()}
    with torch.no_grad():  # the model's own forward must agree with the pieces recorded above
        assert torch.equal(model.classifier(pooled), full.logits)
    cls = {"hidden": nested(hidden, 8), "pooled": nested(pooled, 8), "logits": nested(full.logits, 8),
           "loss": float(f"{full.loss.item():.8g}"), "grads": cls_grads}

    # Case "mean": masked mean of the last hidden state, same classifier, no pooler.
    model.zero_grad()
    hidden = model.bert(input_ids=tokens, attention_mask=mask, token_type_ids=token_types).last_hidden_state
    m = mask.to(hidden.dtype)[:, :, None]
    features = (hidden * m).sum(dim=1) / m.sum(dim=1)
    logits = model.classifier(features)
    loss = torch.nn.functional.cross_entropy(logits, labels)
    loss.backward()
    mean_grads = {name: rounded(p.grad, 8) for name, p in model.named_parameters() if not name.startswith("bert.pooler.")}
    mean = {"logits": nested(logits, 8), "loss": float(f"{loss.item():.8g}"), "grads": mean_grads}

    fixture = {
        "config": {k: getattr(config, k) for k in CONFIG_FIELDS}
        | {"position_embedding_type": "absolute", "num_labels": 3},  # transformers 5 has only absolute positions
        "tokens": tokens.tolist(),
        "attention_mask": mask.tolist(),
        "token_type_ids": token_types.tolist(),
        "lengths": lengths,
        "labels": labels.tolist(),
        "parameters": parameters,
        "cls": cls,
        "mean": mean,
        "torch_version": torch.__version__,
        "transformers_version": transformers.__version__,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes): cls loss {cls['loss']}, mean loss {mean['loss']}")


if __name__ == "__main__":
    main()
