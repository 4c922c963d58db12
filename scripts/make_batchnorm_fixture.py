#!/usr/bin/env python3
"""PyTorch golden values for the ULMFiT BatchNorm head (Tests/RecurTests/Fixtures/ulmfit_head.json):
nn.Sequential(BatchNorm1d(F), Dropout(0), Linear(F, H), ReLU(), BatchNorm1d(H), Dropout(0)) then fc = Linear(H, C),
cross-entropy (mean). Two training-mode passes (the second on other features) move the running statistics; the
first pass's logits, loss and gradients, the running statistics after both, and eval-mode logits are stored.
Dropout is 0: the two frameworks draw different masks. Usage: make_batchnorm_fixture.py OUT.json"""
import json, struct, sys
import torch
from torch import nn

torch.manual_seed(1)
B, F, H, C = 5, 6, 4, 3
head = nn.Sequential(nn.BatchNorm1d(F), nn.Dropout(0.0), nn.Linear(F, H), nn.ReLU(), nn.BatchNorm1d(H), nn.Dropout(0.0))
fc = nn.Linear(H, C)
with torch.no_grad():  # gamma and beta away from 1 and 0, so their gradients are tested
    for bn in (head[0], head[4]):
        bn.weight.uniform_(0.5, 1.5)
        bn.bias.uniform_(-0.5, 0.5)
x = (torch.randn(B, F) * 2 + 1).requires_grad_(True)
second = torch.randn(B, F) * 3 - 1
targets = torch.tensor([0, 2, 1, 1, 0])
head.train()
logits = fc(head(x))
loss = nn.functional.cross_entropy(logits, targets)
loss.backward()
grads = {name: p.grad.clone() for name, p in list(head.named_parameters(prefix="head")) + list(fc.named_parameters(prefix="fc"))}
initial = {name: p.detach().clone() for name, p in list(head.named_parameters(prefix="head")) + list(fc.named_parameters(prefix="fc"))}
with torch.no_grad():
    head(second)
    head.eval()
    eval_logits = fc(head(x))


def exact(t):
    # float32 widened to float64 prints round-trip: parsing as Double then Float gives the same bits.
    return [struct.unpack("f", struct.pack("f", v))[0] for v in t.detach().reshape(-1).tolist()]


def tensor(t):
    return {"shape": list(t.shape), "data": exact(t)}


fixture = {
    "schema": "ulmfit-head-fixture/1", "generator": "scripts/make_batchnorm_fixture.py", "torch_version": torch.__version__,
    "config": {"batch": B, "features": F, "hidden": H, "classes": C, "eps": 1e-5, "momentum": 0.1},
    "params": {name: tensor(t) for name, t in initial.items()},
    "input": tensor(x), "second_input": tensor(second), "targets": {"shape": [B], "data": targets.tolist()},
    "logits": tensor(logits), "loss": float(loss), "grads": {name: tensor(g) for name, g in grads.items()},
    "d_input": tensor(x.grad),
    "running": {name: tensor(b) for name, b in head.named_buffers(prefix="head") if "running" in name},
    "eval_logits": tensor(eval_logits),
}
with open(sys.argv[1], "w") as f:
    json.dump(fixture, f)
print(f"wrote {sys.argv[1]}", file=sys.stderr)
