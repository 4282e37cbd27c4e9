"""Channel importance over whole coupled components.

Each weight slice gives a per-channel norm (L1 or L2 over every weight of the channel's slice), divided
by the mean norm of that weight so that layers of different scale compare fairly. A component's score
is the mean of the normalised norms of all its member slices: every producer filter, per-channel
parameter (BN scale...), and, with ``include_consumers``, every consumer slice.
"""
from __future__ import annotations

import numpy as np

from .analysis import Analysis, WeightSlice


def _norms(value: np.ndarray, axis: int, order: str) -> np.ndarray:
    flat = np.moveaxis(value.astype(np.float64), axis, 0).reshape(value.shape[axis], -1)
    n = np.abs(flat).sum(axis=1) if order == "l1" else np.sqrt((flat * flat).sum(axis=1))
    mean = n.mean()
    return n / mean if mean > 0 else n


def _eligible(sl: WeightSlice, criterion: str, include_consumers: bool) -> bool:
    if criterion == "bn_scale":
        return sl.kind == "scale"
    if sl.role == "produces":
        return True
    if sl.role == "per_channel":
        return sl.kind == "scale"
    return include_consumers


def _accumulate(a: Analysis, criterion: str, include_consumers: bool, n: int):
    sums, counts = np.zeros(n), np.zeros(n)
    seen: set[tuple] = set()
    for sl in a.slices:
        key = (sl.tensor, sl.axis, sl.space)
        if key in seen or not _eligible(sl, criterion, include_consumers):
            continue
        seen.add(key)
        value = a.graph.const_value(sl.tensor)
        order = "l1" if criterion == "l1" else "l2"
        comps = a.component[a.ids(sl.space)][: sl.period or None]
        np.add.at(sums, comps, _norms(value, sl.axis, order))
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
