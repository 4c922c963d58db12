#!/usr/bin/env python3
"""PyTorch's side of `scripts/bench-vs-pytorch.sh`: the classifier of `recur bench train`, timed the same way.

Embedding(V, E) -> LSTM/GRU(E, H) -> last state -> Linear(H, 2), cross-entropy, Adam, synthetic token ids,
batch B x T. Prints one JSON object: train, inference and int8 inference (quantize_dynamic) tokens/s and peak RSS.
"""
import argparse
import json
import resource
import time

import torch


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cell", default="lstm", choices=["lstm", "gru"])
    parser.add_argument("--vocab", type=int, default=20000)
    parser.add_argument("--embedding-dim", type=int, default=128)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seq-len", type=int, default=64)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)

    class Classifier(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = torch.nn.Embedding(args.vocab, args.embedding_dim, padding_idx=0)
            cell = torch.nn.LSTM if args.cell == "lstm" else torch.nn.GRU
            self.rnn = cell(args.embedding_dim, args.hidden, batch_first=True)
            self.fc = torch.nn.Linear(args.hidden, 2)

        def forward(self, tokens):
            _, state = self.rnn(self.embedding(tokens))
            h_n = state[0] if isinstance(state, tuple) else state
            return self.fc(h_n[-1])

    model = Classifier()
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    loss_function = torch.nn.CrossEntropyLoss()
    batches = [(torch.randint(2, args.vocab, (args.batch_size, args.seq_len)), torch.randint(0, 2, (args.batch_size,)))
               for _ in range(4)]
    tokens_per_batch = args.batch_size * args.seq_len

    def train_step(i):
        tokens, labels = batches[i % len(batches)]
        optimizer.zero_grad()
        loss = loss_function(model(tokens), labels)
        loss.backward()
        optimizer.step()
        return loss.item()

    for i in range(2):
        train_step(i)
    start = time.perf_counter()
    for i in range(args.steps):
        train_step(i)
    train_seconds = time.perf_counter() - start

    inference_steps = args.steps * 3
    with torch.no_grad():
        model(batches[0][0])
        start = time.perf_counter()
        for i in range(inference_steps):
            torch.softmax(model(batches[i % len(batches)][0]), dim=1).numpy()
        inference_seconds = time.perf_counter() - start

        # PyTorch's int8 twin: dynamic quantization of the recurrent and linear layers (fbgemm), timed alike.
        quantized = torch.ao.quantization.quantize_dynamic(
            model, {torch.nn.LSTM, torch.nn.GRU, torch.nn.Linear}, dtype=torch.qint8)
        quantized(batches[0][0])
        start = time.perf_counter()
        for i in range(inference_steps):
            torch.softmax(quantized(batches[i % len(batches)][0]), dim=1).numpy()
        int8_seconds = time.perf_counter() - start

    print(json.dumps({
        "device": f"pytorch {torch.__version__} cpu, {args.threads} threads",
        "cell": args.cell, "hidden": args.hidden,
        "train_tokens_per_s": int(tokens_per_batch * args.steps / train_seconds),
        "inference_tokens_per_s": int(tokens_per_batch * inference_steps / inference_seconds),
        "int8_inference_tokens_per_s": int(tokens_per_batch * inference_steps / int8_seconds),
        "peak_rss_mib": int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }))


if __name__ == "__main__":
    main()
