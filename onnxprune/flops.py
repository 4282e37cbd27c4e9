"""Exact cost of a model at any channel counts, from the handlers' cost terms.

Convention: FLOPs = multiply-accumulates of Conv, ConvTranspose, Gemm and MatMul (one MAC = one
FLOP, as fvcore/thop report "FLOPs"), at batch 1 when the batch is dynamic. Element-wise ops,
normalisation and pooling are not counted.
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np

from .analysis import Analysis


class CostModel:
    """Evaluates sum_t coef_t * prod_{s in t} kept[s], and the change when some channels go."""

    def __init__(self, analysis: Analysis):
        self.coef = np.array([t.coef for t in analysis.costs], dtype=np.float64)
        self.terms = [t.spaces for t in analysis.costs]
        self.by_space: dict[int, list[int]] = defaultdict(list)
        for i, spaces in enumerate(self.terms):
            for s in set(spaces):
                self.by_space[s].append(i)

    def value(self, i: int, counts: list[int]) -> float:
        """Cost of term i when its spaces keep ``counts`` channels (subclasses: other cost units)."""
        return float(self.coef[i] * np.prod(counts))

    def total(self, kept: np.ndarray) -> float:
        return float(sum(self.value(i, [kept[s] for s in sp]) for i, sp in enumerate(self.terms)))

    def delta(self, kept: np.ndarray, removed: dict[int, int]) -> float:
        """Cost saved by removing ``removed[s]`` channels from each space s (only touched terms)."""
        touched = {i for s in removed for i in self.by_space.get(s, ())}
        saved = 0.0
        for i in touched:
            before = self.value(i, [kept[s] for s in self.terms[i]])
            after = self.value(i, [kept[s] - removed.get(s, 0) for s in self.terms[i]])
            saved += before - after
        return float(saved)


def model_flops(analysis: Analysis, kept: np.ndarray | None = None) -> float:
    """FLOPs of the analysed model; ``kept`` gives channel counts per space (default: original)."""
    return CostModel(analysis).total(analysis.sizes if kept is None else kept)


def count_params(model) -> int:
    from onnx import numpy_helper
    total = sum(int(np.prod(t.dims)) for t in model.graph.initializer)
    for node in model.graph.node:
        if node.op_type == "Constant":
            for a in node.attribute:
                if a.name == "value":
                    total += int(np.prod(numpy_helper.to_array(a.t).shape))
    return total
