"""Checks of a pruned model: the ONNX checker, an onnxruntime session, output shapes and drift;
and the zero-then-prune oracle.

The oracle: removing channel c is exactly equivalent to zeroing every weight that *consumes* c. So
zero those weights in the original, prune, and compare both with onnxruntime (optimisations off):
for correct handlers they agree to float rounding for any graph and any plan.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx

from .analysis import Analysis
from .errors import VerificationError
from .plan import Plan
from .rewrite import removed_channels, rewrite
from .external import needs_streaming, write_with_external_data
from .shapes import weight_bytes
from .runtime import random_feeds, run, session
from .weights import WeightWriter, shell_copy


LARGE_BYTES = 1 << 30       # from here on, models are verified from files


@dataclass
class Drift:
    """How far the pruned outputs moved from the original's on one seeded input."""
    max_abs: float
    rel: float           # max |a-b| / max |a|


def verify(original, pruned: onnx.ModelProto, shapes: dict[str, tuple], seed: int = 0) -> Drift | None:
    """Full checker, an onnxruntime session, identical output shapes. Raises VerificationError.

    ``original`` is a ModelProto, or the path of a large original (over ``LARGE_BYTES``): then only
    the pruned model runs, its output shapes are compared with the original's inferred ones, and
    no drift is measured (that would need both models' weights in memory at once).
    """
    large = isinstance(original, (str, Path))
    inputs = onnx.load(str(original), load_external_data=False) if large else original
    feeds = random_feeds(inputs, shapes, seed)
    with tempfile.TemporaryDirectory(prefix="onnxprune-verify-") as tmp:
        pruned_src = _to_checkable(pruned, Path(tmp))
        _check(pruned_src)
        after = _outputs(pruned_src, feeds)
    want = [tuple(shapes[o.name]) for o in inputs.graph.output] if large else None
    before = None if large else _outputs(original, feeds)
    for k, (b, out) in enumerate(zip(after, inputs.graph.output)):
        expected = want[k] if large else before[k].shape
        if tuple(expected) != b.shape:
            raise VerificationError(f"output {out.name!r} changed shape {tuple(expected)} -> {b.shape}; "
                                    "please report this with the model")
    return None if large else _drift(before, after)


def _to_checkable(model: onnx.ModelProto, tmp: Path):
    """The model itself, or for large models (and weights still on disk) a saved copy's path."""
    if weight_bytes(model) < LARGE_BYTES and not needs_streaming(model):
        return model
    path = tmp / "pruned.onnx"
    write_with_external_data(model, path, tmp / "pruned.onnx.data", "pruned.onnx.data")
    return path


def _check(model) -> None:
    try:
        onnx.checker.check_model(model if isinstance(model, onnx.ModelProto) else str(model), full_check=True)
    except Exception as e:
        raise VerificationError(f"pruned model fails the ONNX checker: {str(e).splitlines()[0]}; please "
                                "report this with the model") from e


def _outputs(model, feeds) -> list[np.ndarray]:
    try:
        return session(model).run(None, feeds)
    except Exception as e:
        raise VerificationError(f"onnxruntime cannot run the {'pruned' if isinstance(model, Path) else ''} "
                                f"model: {str(e).splitlines()[0]}; please report this with the model") from e


def _drift(before: list[np.ndarray], after: list[np.ndarray]) -> Drift:
    diffs = [float(np.max(np.abs(a.astype(np.float64) - b))) if a.size else 0.0 for a, b in zip(before, after)]
    scale = max((float(np.max(np.abs(a))) if a.size else 0.0 for a in before), default=0.0)
    worst = max(diffs, default=0.0)
    return Drift(worst, worst / scale if scale else worst)


def zero_consumers(a: Analysis, plan: Plan) -> onnx.ModelProto:
    """The original model with every weight that consumes a removed channel set to zero."""
    model = shell_copy(a.graph.model)
    removed = removed_channels(a, plan.removed)
    writer = WeightWriter(a.graph, model)
    node_index = {n.name: i for i, n in enumerate(a.graph.nodes)}
    values: dict[tuple[int, int], np.ndarray] = {}
    for sl in a.slices:
        if sl.role != "consumes" or not len(removed[sl.space]):
            continue
        use = (node_index[sl.node], sl.input_index)
        value = values.get(use)
        value = a.graph.const_value(sl.tensor).copy() if value is None else value
        index = [slice(None)] * value.ndim
        index[sl.axis] = sl.channels(removed[sl.space])
        value[tuple(index)] = 0
        values[use] = value
    for (idx, k), value in values.items():
        writer.set(idx, k, value)
    writer.install()
    return model


def oracle_error(a: Analysis, plan: Plan, seed: int = 0, pruned: onnx.ModelProto | None = None) -> float:
    """Max abs difference between the zeroed original and the pruned model (optimisations off)."""
    zeroed = zero_consumers(a, plan)
    pruned = rewrite(a, plan) if pruned is None else pruned
    feeds = random_feeds(a.graph.model, a.graph.shapes, seed)
    want = run(zeroed, feeds, optimize=False)
    got = run(pruned, feeds, optimize=False)
    errs = []
    for w, g in zip(want, got):
        if w.shape != g.shape:
            return float("inf")
        errs.append(float(np.max(np.abs(w.astype(np.float64) - g))) if w.size else 0.0)
    return max(errs, default=0.0)
