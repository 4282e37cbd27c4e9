"""Recover accuracy after pruning: distil the original model's outputs into the pruned one.

The teacher is the unpruned model run by onnxruntime on the data (no labels needed); labels, when
given, add a cross-entropy term on the first output. The student is the pruned ONNX model executed
by the torch bridge; its trained weights are written back into the ONNX model.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import onnx
import torch

from ..data import Dataset
from ..runtime import session
from .module import OnnxModule


@dataclass(frozen=True)
class FinetuneConfig:
    steps: int = 200
    lr: float = 1e-3
    batch_size: int = 32
    seed: int = 0
    label_weight: float = 1.0


def teacher_outputs(model: onnx.ModelProto, data: Dataset, batch: int) -> list[np.ndarray]:
    """The original model's outputs for every sample (batched as the model's batch dim allows)."""
    sess = session(model, optimize=True, threads=2)
    chunks, n = [], len(data)
    for start in range(0, n, batch):
        idx = np.arange(start, min(n, start + batch))
        chunks.append(sess.run(None, data.feeds(idx)))
    return [np.concatenate([c[k] for c in chunks]) for k in range(len(chunks[0]))]


def _fixed_batch(model: onnx.ModelProto) -> bool:
    """True when the first input's batch dim is a fixed 1 (then samples go one at a time)."""
    dims = model.graph.input[0].type.tensor_type.shape.dim
    return bool(dims) and dims[0].HasField("dim_value") and dims[0].dim_value == 1


def distill(original: onnx.ModelProto, pruned: onnx.ModelProto, data: Dataset, cfg: FinetuneConfig,
            progress=None) -> tuple[onnx.ModelProto, float]:
    """Fine-tune ``pruned`` towards ``original`` on ``data``; returns (model, final loss)."""
    torch.manual_seed(cfg.seed)
    micro = 1 if _fixed_batch(pruned) else cfg.batch_size
    teacher = teacher_outputs(original, data, micro)
    module = OnnxModule(pruned)
    params = [p for p in module.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=cfg.lr)
    rng = np.random.default_rng(cfg.seed)
    batches = data.batches(cfg.batch_size, rng)
    loss_value = float("nan")
    for step in range(cfg.steps):
        idx = next(batches)
        opt.zero_grad()
        total = 0.0
        for part in np.array_split(idx, max(1, len(idx) // micro)):
            loss = _loss(module, data, teacher, part, cfg) * (len(part) / len(idx))
            loss.backward()
            total += float(loss.detach())
        opt.step()
        loss_value = total
        if progress and (step % 10 == 0 or step == cfg.steps - 1):
            progress(f"fine-tuning {step + 1}/{cfg.steps} loss {loss_value:.4g}")
    return module.write_back(), loss_value


def _loss(module: OnnxModule, data: Dataset, teacher: list[np.ndarray], idx, cfg: FinetuneConfig):
    feeds = data.feeds(idx)
    outs = module(*[torch.from_numpy(feeds[n]) for n in module.input_names])
    loss = sum(torch.nn.functional.mse_loss(o, torch.from_numpy(t[idx])) for o, t in zip(outs, teacher))
    if data.labels is not None and cfg.label_weight:
        logits = outs[0].reshape(len(idx), -1)
        loss = loss + cfg.label_weight * torch.nn.functional.cross_entropy(
            logits, torch.from_numpy(data.labels[idx]).long())
    return loss
