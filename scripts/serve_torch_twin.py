#!/usr/bin/env python3
"""A Recur run served the usual Python way, as the baseline of scripts/bench-serve.sh: Flask + PyTorch.

The model is the run's torch.nn twin (scripts/torch_twin.py loads config.json, vocab.txt, model.safetensors);
POST /v1/predict takes the same {"text": ...} / {"texts": [...]} bodies as `recur serve` and answers the same
shape. Tokens are the lower-cased text split on spaces (the bench's texts are pre-tokenized, so this equals
Recur's tokenizer on them and costs Python less than Recur's tokenizer costs Recur).

    python3 scripts/serve_torch_twin.py RUN --port 8081            # Flask's threaded server
    gunicorn -w 2 -b 127.0.0.1:8082 'serve_torch_twin:create_app("RUN")'   # from scripts/: 2 worker processes
"""
import argparse
import json
import os
import sys

import torch
from flask import Flask, jsonify, request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_twin import load_run  # noqa: E402


def create_app(folder, threads=None):
    if threads:
        torch.set_num_threads(threads)
    model, vocab = load_run(folder)
    config = json.load(open(f"{folder}/config.json"))
    labels, max_len = config["labels"], config["text"].get("maxLength")
    app = Flask(__name__)

    @app.post("/v1/predict")
    def predict():
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return jsonify(error={"message": "expected a JSON object"}), 400
        texts = body.get("texts", [body.get("text")] if "text" in body else None)
        if not isinstance(texts, list) or not texts or not all(isinstance(t, str) and t.strip() for t in texts):
            return jsonify(error={"message": "expected texts: a list of non-empty strings"}), 400
        ids = [[vocab.get(word, 1) for word in text.lower().split()][:max_len] for text in texts]
        lengths = torch.tensor([len(x) for x in ids])
        tokens = torch.zeros(len(ids), int(lengths.max()), dtype=torch.long)
        for row, x in enumerate(ids):
            tokens[row, :len(x)] = torch.tensor(x)
        with torch.inference_mode():
            probabilities = torch.softmax(model(tokens, lengths), dim=1).tolist()
        return jsonify(model="torch", predictions=[
            {"label": labels[max(range(len(p)), key=p.__getitem__)], "probabilities": dict(zip(labels, p)),
             "tokens_read": len(x)} for p, x in zip(probabilities, ids)])

    @app.get("/readyz")
    def ready():
        return jsonify(status="ready")

    return app


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--threads", type=int, default=2, help="torch intra-op threads")
    arguments = parser.parse_args()
    create_app(arguments.run, arguments.threads).run(host="127.0.0.1", port=arguments.port, threaded=True)
