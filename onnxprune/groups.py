"""Group the channel components found by the analysis.

A component is the set of channels that must be removed together. Components that touch the same
spaces with the same number of channels each (a conv's filters, the channels of a residual stage...)
form one :class:`~onnxprune.analysis.Group`, the unit that rounding and minimum widths apply to.
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np

from .analysis import Analysis, Group


def component_pins(a: Analysis) -> dict[int, list[str]]:
    """component id -> reasons it is pinned."""
    out: dict[int, list[str]] = defaultdict(list)
    for pin in a.pins:
        ids = a.ids(pin.space) if pin.index is None else a.ids(pin.space)[pin.index]
        for comp in np.unique(a.component[ids]):
            if pin.reason not in out[int(comp)]:
                out[int(comp)].append(pin.reason)
    return out


def _footprints(a: Analysis) -> dict[int, list[tuple[int, int]]]:
    feet: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for s in a.spaces:
        comps, counts = np.unique(a.component[a.ids(s.id)], return_counts=True)
        for comp, cnt in zip(comps.tolist(), counts.tolist()):
            feet[comp].append((s.id, cnt))
    return feet


def _produced(a: Analysis) -> np.ndarray:
    n = int(a.component.max()) + 1 if len(a.component) else 0
    produced = np.zeros(n, dtype=bool)
    for sl in a.slices:
        if sl.role == "produces":
            produced[a.component[a.ids(sl.space)]] = True
    return produced


def build_groups(a: Analysis) -> list[Group]:
    """Groups sorted by first component id; a group is prunable when unpinned and produced by weights."""
    pins = component_pins(a)
    produced = _produced(a)
    by_foot: dict[tuple, list[int]] = defaultdict(list)
    for comp, foot in _footprints(a).items():
        by_foot[tuple(sorted(foot))].append(comp)
    groups = []
    for foot, comps in sorted(by_foot.items(), key=lambda kv: min(kv[1])):
        comps_arr = np.array(sorted(comps), dtype=np.int64)
        reasons = sorted({r for c in comps for r in pins.get(c, ())})
        pinned = bool(reasons)
        prunable = not pinned and bool(produced[comps_arr].all())
        groups.append(Group(len(groups), comps_arr, foot, pinned, tuple(reasons), prunable))
    return groups
