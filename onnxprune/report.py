"""What a pruning run did, as a plain object that serialises to JSON for pipelines."""
from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field

from .analysis import Analysis
from .groups import component_pins
from .ir import default_opset
from .ops.registry import lookup


@dataclass
class GroupRow:
    id: int
    tensors: list[str]
    width: int
    kept: int
    prunable: bool
    reasons: list[str]


@dataclass
class Report:
    target_flops: float
    flops_before: float
    flops_after: float
    params_before: int
    params_after: int
    groups_total: int
    groups_prunable: int
    groups_pruned: int
    channels_before: int
    channels_removed: int
    pinned_channels: int
    pin_reasons: list[tuple[str, int]]
    pinned_flops_share: float
    drift_max_abs: float | None = None
    drift_rel: float | None = None
    latency_ratio: float | None = None     # measured, when planning for --target-latency
    bytes_before: int | None = None
    bytes_after: int | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    groups: list[GroupRow] = field(default_factory=list)

    @property
    def flops_ratio(self) -> float:
        return self.flops_after / self.flops_before if self.flops_before else 1.0

    def to_dict(self) -> dict:
        d = asdict(self)
        d["flops_ratio"] = self.flops_ratio
        d["pin_reasons"] = [{"reason": r, "channels": n} for r, n in self.pin_reasons]
        return d


def group_rows(a: Analysis, widths: dict[int, tuple[int, int]] | None = None) -> list[GroupRow]:
    rows = []
    for g in a.groups:
        tensors = [a.spaces[s].tensor for s, _ in g.footprint]
        kept = (widths or {}).get(g.id, (g.width, g.width))[1]
        rows.append(GroupRow(g.id, tensors, g.width, kept, g.prunable, list(g.reasons)))
    return rows


def pin_summary(a: Analysis) -> tuple[int, list[tuple[str, int]]]:
    """(number of pinned channels in tensors, reasons ranked by how many channels each pins)."""
    pins = component_pins(a)
    counts: Counter = Counter()
    pinned = 0
    for s in a.spaces:
        comps = a.component[a.ids(s.id)]
        for comp in comps.tolist():
            reasons = pins.get(comp)
            if reasons:
                pinned += 1
                counts[reasons[0]] += 1
    return pinned, counts.most_common()


def preflight(a: Analysis) -> dict:
    """What limits pruning before any work is done: ops without a handler, dynamic channel dims,
    and the share of FLOPs in layers that cannot shrink."""
    opset = default_opset(a.graph.model)
    missing = Counter(f"{n.domain + '::' if n.domain else ''}{n.op_type}" for n in a.graph.nodes
                       if lookup(n.op_type, n.domain, opset) is None and n.op_type not in _CONSTANT_OPS)
    dynamic = [s.tensor for s in a.spaces if s.axis in a.graph.dynamic.get(s.tensor, ())]
    return {"unsupported_ops": dict(missing.most_common()), "dynamic_channels": dynamic,
            "pinned_flops_share": pinned_flops_share(a)}


_CONSTANT_OPS = {"Constant", "ConstantOfShape"}


def pinned_flops_share(a: Analysis) -> float:
    """Share of the FLOPs in cost terms whose every space is fully pinned (not prunable at all)."""
    prunable_spaces = set()
    for g in a.prunable_groups():
        prunable_spaces.update(s for s, _ in g.footprint)
    total = sum(t.coef * _prod(a, t.spaces) for t in a.costs)
    stuck = sum(t.coef * _prod(a, t.spaces) for t in a.costs if not (set(t.spaces) & prunable_spaces))
    return stuck / total if total else 0.0


def _prod(a: Analysis, spaces) -> float:
    out = 1.0
    for s in spaces:
        out *= a.spaces[s].size
    return out
