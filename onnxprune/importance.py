"""Channel importance over whole coupled components.

Each weight slice gives a per-channel norm (L1 or L2 over every weight of the channel's slice), divided
by the mean norm of that weight so that layers of different scale compare fairly. A component's score
is the mean of the normalised norms of all its member slices: every producer filter, per-channel
scale and bias (BN scale and shift, conv bias: a channel with tiny filters but a large bias outputs a
large constant, and removing it shifts every consumer), and, with ``include_consumers``, every consumer
slice.
"""
from __future__ import annotations

import numpy as np

from .analysis import Analysis, WeightSlice
from .external import is_lazy, iter_slabs


CHUNK_ELEMENTS = 1 << 22


def _slabs(a: Analysis, name: str):
    """(first row, rows) blocks of a weight along axis 0; weights on disk are read block by block."""
    init = a.graph.initializers.get(name)
    if init is not None and is_lazy(init):
        yield from iter_slabs(init)
        return
    value = a.graph.const_value(name)
    rows = max(1, CHUNK_ELEMENTS // max(1, value[0].size if value.ndim > 1 else 1))
    for start in range(0, value.shape[0], rows):
        yield start, value[start:start + rows]


def _norms(a: Analysis, name: str, shape: tuple, axis: int, order: str) -> np.ndarray:
    """Per-channel L1/L2 norm along ``axis`` divided by its mean, computed in float64 over slabs
    of the weight so a gigabyte weight never gets a gigabyte-sized temporary."""
    n = np.zeros(shape[axis])
    others = tuple(i for i in range(len(shape)) if i != axis)
    for start, block in _slabs(a, name):
        rows = len(block)
        slab = block.astype(np.float64)
        part = np.abs(slab) if order == "l1" else slab * slab
        if axis == 0:
            n[start:start + rows] = part.sum(axis=others)
        else:
            n += part.sum(axis=others)
    n = n if order == "l1" else np.sqrt(n)
    mean = n.mean()
    return n / mean if mean > 0 else n


def _eligible(sl: WeightSlice, criterion: str, include_consumers: bool) -> bool:
    if criterion == "bn_scale":
        return sl.kind == "scale"
    if sl.role == "produces":
        return True
    if sl.role == "per_channel":
        return sl.kind in ("scale", "bias")
    return include_consumers


def _accumulate(a: Analysis, criterion: str, include_consumers: bool, n: int):
    sums, counts = np.zeros(n), np.zeros(n)
    seen: set[tuple] = set()
    for sl in a.slices:
        key = (sl.tensor, sl.axis, sl.space)
        if key in seen or not _eligible(sl, criterion, include_consumers):
            continue
        seen.add(key)
        order = "l1" if criterion == "l1" else "l2"
        comps = a.component[a.ids(sl.space)][: sl.period or None]
        shape = tuple(a.graph.shapes[sl.tensor])
        np.add.at(sums, comps, _norms(a, sl.tensor, shape, sl.axis, order))
        np.add.at(counts, comps, 1)
    return sums, counts


def component_scores(a: Analysis, criterion: str = "l2", include_consumers: bool = False) -> np.ndarray:
    """Score per component id (higher = more important). ``bn_scale`` falls back to L2 where a
    component has no scale parameter."""
    n = int(a.component.max()) + 1 if len(a.component) else 0
    sums, counts = _accumulate(a, criterion, include_consumers, n)
    if criterion == "bn_scale":
        f_sums, f_counts = _accumulate(a, "l2", include_consumers, n)
        missing = counts == 0
        sums[missing], counts[missing] = f_sums[missing], f_counts[missing]
    return np.divide(sums, counts, out=np.zeros(n), where=counts > 0)
