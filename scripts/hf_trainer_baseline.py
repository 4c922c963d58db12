#!/usr/bin/env python3
"""Hugging Face's side of the BERT fine-tuning benchmark: fine-tunes a local BERT folder (config.json, vocab.txt,
model.safetensors, e.g. from scripts/get-minilm.sh) with transformers' Trainer on the CPU, for a side-by-side run
against Recur's Transformer path.

BertForSequenceClassification (pooler + linear head on [CLS], new head initialised by HF), the fast BERT tokenizer
of the folder, truncation to --max-length, dynamic padding per batch (DataCollatorWithPadding), length-grouped
batches (group_by_length), AdamW (adamw_torch; HF's Trainer exempts biases and LayerNorm weights from weight
decay), linear schedule with warmup, no evaluation during training, nothing saved, no reports.

Measures: training wall time (trainer.train()), training tokens/s (real tokens, [CLS]/[SEP] included, padding
excluded, summed over epochs), inference tokens/s over the eval set (batches of 64 in file order, dynamic padding,
torch.inference_mode), eval accuracy, and peak RSS (getrusage ru_maxrss, KiB -> MiB). Prints one JSON line.

  hf_trainer_baseline.py --model models/all-MiniLM-L6-v2 --train train.tsv --eval dev.tsv [--epochs 3]
      [--batch-size 32] [--lr 5e-5] [--warmup-ratio 0.1] [--weight-decay 0.01] [--max-length 128] [--seed 42]
      [--threads 2] [--limit-train N] [--limit-eval N]

TSVs: header `sentence\\tlabel`, labels 0..K-1 (K = number of distinct labels in train).
Never touches a model hub: --model must be a local folder (HF_HUB_OFFLINE is set).
"""
import argparse
import contextlib
import dataclasses
import json
import os
import resource
import sys
import tempfile
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import torch  # noqa: E402
import transformers  # noqa: E402
from transformers import (AutoTokenizer, BertForSequenceClassification, DataCollatorWithPadding,  # noqa: E402
                          Trainer, TrainingArguments)


def read_tsv(path, limit=None):
    texts, labels = [], []
    with open(path, encoding="utf-8", newline="") as f:
        header = f.readline().rstrip("\r\n").split("\t")
        if header[:2] != ["sentence", "label"]:
            sys.exit(f"{path}: expected a `sentence\\tlabel` header, got {header}")
        for number, line in enumerate(f, start=2):
            line = line.rstrip("\r\n")
            if not line:
                continue
            text, label = line.rsplit("\t", 1)
            texts.append(text)
            labels.append(int(label))
            if limit and len(texts) >= limit:
                break
    return texts, labels


class Encoded(torch.utils.data.Dataset):
    def __init__(self, encodings, labels):
        self.encodings, self.labels = encodings, labels

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        item = {k: v[i] for k, v in self.encodings.items()}
        item["labels"] = self.labels[i]
        return item


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="local folder with config.json, vocab.txt, weights")
    parser.add_argument("--train", required=True)
    parser.add_argument("--eval", required=True)
    parser.add_argument("--epochs", type=float, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--eval-batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--warmup-ratio", type=float, default=0.1)
    parser.add_argument("--weight-decay", type=float, default=0.01)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--pooling", default="cls", choices=["cls"])
    parser.add_argument("--limit-train", type=int, help="use only the first N training rows")
    parser.add_argument("--limit-eval", type=int, help="use only the first N eval rows")
    args = parser.parse_args()
    if not os.path.isdir(args.model):
        sys.exit(f"--model {args.model}: not a local folder")
    torch.set_num_threads(args.threads)
    transformers.set_seed(args.seed)
    transformers.logging.set_verbosity_error()

    train_texts, train_labels = read_tsv(args.train, args.limit_train)
    eval_texts, eval_labels = read_tsv(args.eval, args.limit_eval)
    num_labels = max(train_labels) + 1

    tokenizer = AutoTokenizer.from_pretrained(args.model, local_files_only=True)
    model = BertForSequenceClassification.from_pretrained(args.model, num_labels=num_labels, local_files_only=True)
    model.float()

    started = time.perf_counter()
    train_enc = tokenizer(train_texts, truncation=True, max_length=args.max_length)
    eval_enc = tokenizer(eval_texts, truncation=True, max_length=args.max_length)
    tokenize_seconds = time.perf_counter() - started
    train_tokens_per_epoch = sum(len(ids) for ids in train_enc["input_ids"])
    eval_tokens = sum(len(ids) for ids in eval_enc["input_ids"])
    train_set = Encoded(dict(train_enc), train_labels)

    # TrainingArguments moved in transformers 5: warmup_ratio -> warmup_steps < 1, group_by_length ->
    # train_sampling_strategy. Pass whichever this version has.
    fields = {f.name for f in dataclasses.fields(TrainingArguments)}
    extra = {}
    if "warmup_ratio" in fields:
        extra["warmup_ratio"] = args.warmup_ratio
    else:
        extra["warmup_steps"] = args.warmup_ratio
    if "group_by_length" in fields:
        extra["group_by_length"] = True
    else:
        extra["train_sampling_strategy"] = "group_by_length"
    extra["eval_strategy" if "eval_strategy" in fields else "evaluation_strategy"] = "no"
    extra["use_cpu" if "use_cpu" in fields else "no_cuda"] = True
    with tempfile.TemporaryDirectory(prefix="recur-hf-trainer-") as out:
        training_args = TrainingArguments(
            output_dir=out, num_train_epochs=args.epochs, per_device_train_batch_size=args.batch_size,
            learning_rate=args.lr, weight_decay=args.weight_decay, lr_scheduler_type="linear", optim="adamw_torch",
            seed=args.seed, save_strategy="no", report_to="none", logging_strategy="no", disable_tqdm=True,
            dataloader_num_workers=0, dataloader_pin_memory=False, **extra)
        trainer = Trainer(model=model, args=training_args, train_dataset=train_set,
                          data_collator=DataCollatorWithPadding(tokenizer))
        started = time.perf_counter()
        with contextlib.redirect_stdout(sys.stderr):  # Trainer prints its metrics dict; stdout is the JSON line
            result = trainer.train()
        train_seconds = time.perf_counter() - started
        steps = trainer.state.global_step

    model.eval()
    collate = DataCollatorWithPadding(tokenizer)
    correct = 0
    padded_eval_tokens = 0
    started = time.perf_counter()
    with torch.inference_mode():
        for start in range(0, len(eval_labels), args.eval_batch_size):
            end = min(start + args.eval_batch_size, len(eval_labels))
            batch = collate([{k: v[i] for k, v in eval_enc.items()} for i in range(start, end)])
            padded_eval_tokens += batch["input_ids"].numel()
            logits = model(**batch).logits
            correct += (logits.argmax(-1) == torch.tensor(eval_labels[start:end])).sum().item()
    inference_seconds = time.perf_counter() - started

    epochs_run = trainer.state.epoch or args.epochs
    train_tokens = round(train_tokens_per_epoch * epochs_run)
    print(json.dumps({
        "framework": "transformers-trainer",
        "model": os.path.basename(os.path.normpath(args.model)),
        "parameters": sum(p.numel() for p in model.parameters()),
        "pooling": args.pooling,
        "train_examples": len(train_labels), "eval_examples": len(eval_labels), "num_labels": num_labels,
        "epochs": epochs_run, "steps": steps, "batch_size": args.batch_size, "lr": args.lr,
        "warmup_ratio": args.warmup_ratio, "weight_decay": args.weight_decay, "max_length": args.max_length,
        "seed": args.seed, "threads": args.threads,
        "tokenize_seconds": round(tokenize_seconds, 3),
        "train_seconds": round(train_seconds, 3),
        "train_tokens": train_tokens,
        "train_tokens_per_s": round(train_tokens / train_seconds, 1),
        "train_loss": round(result.training_loss, 5),
        "eval_tokens": eval_tokens, "eval_padded_tokens": padded_eval_tokens,
        "inference_seconds": round(inference_seconds, 3),
        "inference_tokens_per_s": round(eval_tokens / inference_seconds, 1),
        "accuracy": round(correct / len(eval_labels), 5),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "torch": torch.__version__, "transformers": transformers.__version__,
    }))


if __name__ == "__main__":
    main()
