#!/usr/bin/env python3
"""PyTorch golden values for Recur's `pytorch_model.bin` reader (TorchCheckpoint.swift):
Tests/RecurTests/Fixtures/torch_state.bin (a torch.save'd state dict, zip format) and torch_state.json (what torch
itself reads back from it).

The state dict is an OrderedDict with a `_metadata` attribute, as `nn.Module.state_dict()` returns, holding the
cases a real checkpoint can contain:
  dense.weight          float32 2x3
  half.weight           float16, finite values incl. a subnormal (2**-24) and the largest half (65504)
  bf16.weight           bfloat16
  embeddings.position_ids  int64 [1, 5] buffer (as BERT checkpoints carry)
  counts                int32, double.value float64 (widened to float32 by `.float()`)
  transposed            arange(12).reshape(3, 4).t(): a non-contiguous view saved as-is (strides (1, 4))
  shared.row, shared.tail  base[1] and base[2:] of one 4x3 tensor: one storage, storage offsets 3 and 6
  scalar                a 0-d tensor
  param                 an nn.Parameter (pickled through torch._utils._rebuild_parameter)
  empty                 a 0x3 tensor (no elements)
  config                not a tensor (a dict with a torch.device, an int, a float, a bool, None): must be skipped

JSON: {"tensors": {name: {"shape": [...], "values": [...]}}} with values = tensor.float().flatten().tolist()
(float32 values printed exactly by Python's repr), plus "skipped": the names that are not tensors.
Usage: /tmp/recur-hf-venv/bin/python scripts/make_torch_bin_fixture.py [OUT_DIR]
       (default Tests/RecurTests/Fixtures under the repo root)
"""
import collections
import json
import os
import sys

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "Tests/RecurTests/Fixtures")

torch.manual_seed(0)
base = torch.arange(12, dtype=torch.float32).reshape(4, 3) * 0.25 - 1
state = collections.OrderedDict()
state["dense.weight"] = torch.tensor([[0.5, -1.25, 3.0], [1e-3, -7.5e4, 0.1]], dtype=torch.float32)
state["half.weight"] = torch.tensor([1.0, -2.5, 2.0 ** -24, 65504.0, -0.099975586, 0.0], dtype=torch.float16)
state["bf16.weight"] = torch.tensor([[1.0, -3.140625], [1e-20, 6.5e10]], dtype=torch.bfloat16)
state["embeddings.position_ids"] = torch.arange(5, dtype=torch.int64).unsqueeze(0)
state["counts"] = torch.tensor([-7, 0, 123456], dtype=torch.int32)
state["double.value"] = torch.tensor([0.1, -1e-300, 2.5], dtype=torch.float64)
state["transposed"] = torch.arange(12.0).reshape(3, 4).t()
state["shared.row"] = base[1]
state["shared.tail"] = base[2:]
state["scalar"] = torch.tensor(-0.375)
state["param"] = torch.nn.Parameter(torch.randn(2, 2))
state["empty"] = torch.zeros(0, 3)
state["config"] = {"device": torch.device("cpu"), "version": 2, "scale": 0.5, "flag": True, "none": None}
# Module.state_dict() sets this attribute; pickle writes it with BUILD.
state._metadata = collections.OrderedDict([("", {"version": 1}), ("dense", {"version": 1})])

assert not state["transposed"].is_contiguous()
assert state["shared.row"].untyped_storage().data_ptr() == state["shared.tail"].untyped_storage().data_ptr()
assert state["half.weight"][2].item() == 2.0 ** -24  # a half subnormal

os.makedirs(OUT_DIR, exist_ok=True)
bin_path = os.path.join(OUT_DIR, "torch_state.bin")
torch.save(state, bin_path)

# What torch reads back is the reference (not the tensors above), so the JSON describes the file.
loaded = torch.load(bin_path, weights_only=True)
tensors = {}
skipped = []
for name, value in loaded.items():
    if isinstance(value, torch.Tensor):
        tensors[name] = {"shape": list(value.shape), "values": value.detach().float().flatten().tolist()}
    else:
        skipped.append(name)
with open(os.path.join(OUT_DIR, "torch_state.json"), "w") as f:
    json.dump({"torch": torch.__version__, "tensors": tensors, "skipped": skipped}, f, indent=1)
    f.write("\n")
print(f"wrote {bin_path} ({os.path.getsize(bin_path)} bytes), {len(tensors)} tensors, skipped {skipped}")
