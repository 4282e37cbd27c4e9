"""Choose the components to remove so the model has ``target_flops`` x its FLOPs.

Global ranking: every prunable group offers its next *chunk* (the least important components that
take it down to the next allowed width: a multiple of its rounding step, never below its minimum).
Chunks are taken cheapest-importance first; a chunk that would undershoot the target window is
skipped. Each step recounts only the cost terms the chunk touches (never the whole model).
"""
from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import numpy as np

from .analysis import Analysis, Group
from .config import PruneConfig
from .errors import TargetUnreachableError
from .flops import CostModel


@dataclass
class Plan:
    """The outcome of planning: which components go, and the resulting channel counts and FLOPs."""
    removed: np.ndarray          # component ids, sorted
    kept: np.ndarray             # kept channel count per space
    flops_before: float
    flops_after: float
    group_widths: dict[int, tuple[int, int]]   # group id -> (before, after) in components

    @property
    def ratio(self) -> float:
        return self.flops_after / self.flops_before if self.flops_before else 1.0


def group_step(group: Group, round_to: int) -> int:
    """Components per rounding step so that every touched tensor keeps a multiple of ``round_to``."""
    step = 1
    for _, count in group.footprint:
        need = round_to // math.gcd(round_to, count)
        step = step * need // math.gcd(step, need)
    return step


def allowed_widths(width: int, step: int, min_keep: float) -> list[int]:
    """Widths a group may be cut to, descending, the original first."""
    low = max(step, math.ceil(min_keep * width / step) * step)
    top = (width - 1) // step * step
    return [width] + [w for w in range(top, low - 1, -step) if w >= low]


@dataclass
class _State:
    group: Group
    order: np.ndarray      # component ids, least important first
    widths: list[int]
    at: int = 0            # index into widths

    def chunk(self) -> np.ndarray | None:
        if self.at + 1 >= len(self.widths):
            return None
        n = self.group.width
        return self.order[n - self.widths[self.at]: n - self.widths[self.at + 1]]


def _states(a: Analysis, scores: np.ndarray, cfg: PruneConfig) -> list[_State]:
    states = []
    for g in a.prunable_groups():
        widths = allowed_widths(g.width, group_step(g, cfg.round_to), cfg.min_keep)
        order = g.components[np.lexsort((g.components, scores[g.components]))]
        if len(widths) > 1:
            states.append(_State(g, order, widths))
    return states


class _Greedy:
    """Mutable planning state: kept counts per space, current FLOPs, chunks taken per group."""

    def __init__(self, a: Analysis, scores: np.ndarray, cfg: PruneConfig, cost: CostModel | None = None,
                 rank: CostModel | None = None):
        self.cost = cost or CostModel(a)
        self.rank = rank
        self.rank_total = rank.total(a.sizes) if rank is not None else 1.0
        self.kept = a.sizes.copy()
        self.before = self.cost.total(self.kept)
        self.current = self.before
        self.scores = scores
        self.states = _states(a, scores, cfg)

    def _counts(self, st: _State, chunk: np.ndarray, sign: int) -> dict[int, int]:
        return {s: sign * cnt * len(chunk) for s, cnt in st.group.footprint}

    def saving(self, i: int) -> float:
        st = self.states[i]
        return self.cost.delta(self.kept, self._counts(st, st.chunk(), 1))

    def take(self, i: int, sign: int = 1) -> None:
        """Remove group i's next chunk (sign=1) or restore its last one (sign=-1)."""
        st = self.states[i]
        if sign < 0:
            st.at -= 1
        counts = self._counts(st, st.chunk(), sign)
        self.current -= self.cost.delta(self.kept, counts)
        for s, n in counts.items():
            self.kept[s] -= n
        if sign > 0:
            st.at += 1

    def chunk_score(self, i: int) -> float | None:
        chunk = self.states[i].chunk()
        return None if chunk is None else float(self.scores[chunk].mean())

    def priority(self, i: int) -> float | None:
        """Order of taking: importance, or with a ranking cost (latency) importance per share of
        that cost the chunk saves."""
        score = self.chunk_score(i)
        if score is None or self.rank is None:
            return score
        st = self.states[i]
        saved = self.rank.delta(self.kept, self._counts(st, st.chunk(), 1)) / self.rank_total
        return score / max(saved, 1e-9)

    def run(self, lo: float, hi: float) -> None:
        """Take chunks least-important first, skipping those that would undershoot ``lo``."""
        heap = [(sc, i) for i in range(len(self.states)) if (sc := self.priority(i)) is not None]
        heapq.heapify(heap)
        while heap and self.current > hi:
            _, i = heapq.heappop(heap)
            if self.current - self.saving(i) < lo:
                continue
            self.take(i)
            if (sc := self.priority(i)) is not None:
                heapq.heappush(heap, (sc, i))

    def _last_score(self, j: int) -> float:
        st = self.states[j]
        n = st.group.width
        return float(self.scores[st.order[n - st.widths[st.at - 1]: n - st.widths[st.at]]].mean())

    def _refill(self, lo: float, hi: float, skip: int) -> list[int]:
        """Restore taken chunks (most important first, never above ``hi``) until FLOPs reach ``lo``."""
        restored = []
        while self.current < lo:
            best = None
            for j, st in enumerate(self.states):
                if j == skip or st.at == 0:
                    continue
                self.take(j, -1)
                fits = self.current <= hi
                self.take(j)
                if fits and (best is None or self._last_score(j) > self._last_score(best)):
                    best = j
            if best is None:
                break
            self.take(best, -1)
            restored.append(best)
        return restored

    def settle(self, lo: float, hi: float, rounds: int = 8) -> bool:
        """After the greedy pass: take one more chunk and restore others until inside [lo, hi],
        keeping of all such moves the one that loses least importance. When no single move lands,
        make the one that gets closest and try again (a few rounds)."""
        for _ in range(rounds):
            if lo <= self.current <= hi:
                return True
            landing, closest = self._best_moves(lo, hi)
            move = landing or closest
            if move is None or (landing is None and _gap(move[0], lo, hi) >= _gap(self.current, lo, hi)):
                return False
            _, _, i, restored = move
            self.take(i)
            for j in restored:
                self.take(j, -1)
        return lo <= self.current <= hi

    def _best_moves(self, lo: float, hi: float):
        """(best landing move, closest move), each (flops after, importance lost, take i, restores)."""
        landing = closest = None
        for i, st in enumerate(self.states):
            if st.chunk() is None:
                continue
            lost = self.chunk_score(i)
            self.take(i)
            restored = self._refill(lo, hi, skip=i)
            lost -= sum(self._score_after_restore(j) for j in restored)
            move = (self.current, lost, i, list(restored))
            if lo <= self.current <= hi and (landing is None or lost < landing[1]):
                landing = move
            if closest is None or _gap(self.current, lo, hi) < _gap(closest[0], lo, hi):
                closest = move
            for j in reversed(restored):
                self.take(j)
            self.take(i, -1)
        return landing, closest

    def _score_after_restore(self, j: int) -> float:
        """Score of the chunk group j would take next (the one just restored)."""
        return self.chunk_score(j) or 0.0

    def removed(self) -> np.ndarray:
        parts = [st.order[: st.group.width - st.widths[st.at]] for st in self.states]
        return np.sort(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)


def _gap(flops: float, lo: float, hi: float) -> float:
    return 0.0 if lo <= flops <= hi else min(abs(flops - lo), abs(flops - hi))


def make_plan(a: Analysis, scores: np.ndarray, cfg: PruneConfig, *, cost: CostModel | None = None,
              target: float | None = None, rank: CostModel | None = None) -> Plan:
    """Plan to ``target`` (default ``cfg.target_flops``) x the model's cost within ``cfg.tolerance``
    (relative), or raise :class:`TargetUnreachableError` naming the lowest ratio this configuration
    reaches. ``cost`` defaults to FLOPs; a latency model plugs in here (see latency.py). ``rank``, a
    second cost model, orders chunks by importance per share of that cost saved (--prefer-latency)."""
    if not a.prunable_groups():
        from .errors import UnsupportedModelError
        from .report import pin_summary
        reasons = "; ".join(r for r, _ in pin_summary(a)[1][:2]) or "nothing produces channels"
        raise UnsupportedModelError(f"no prunable channels: every channel is pinned ({reasons}); run "
                                    "`onnxprune analyze` to see why")
    g = _Greedy(a, scores, cfg, cost, rank)
    ratio = cfg.target_flops if target is None else target
    target = ratio * g.before
    lo, hi = target * (1 - cfg.tolerance), target * (1 + cfg.tolerance)
    g.run(lo, hi)
    if not g.settle(lo, hi):
        floor = _floor(a, scores, cfg, cost)
        raise TargetUnreachableError(
            f"target {ratio:g} cannot be met within {cfg.tolerance:.0%}: this model reaches "
            f"{g.current / g.before:.3f} (lowest possible {floor:.3f}) with round_to={cfg.round_to}, "
            f"min_keep={cfg.min_keep:g}; pick a target in reach or lower --round-to/--min-keep",
            reachable=floor)
    widths = {st.group.id: (st.group.width, st.widths[st.at]) for st in g.states}
    flops = g.cost if cost is None else CostModel(a)
    return Plan(g.removed(), g.kept, flops.total(a.sizes), flops.total(g.kept), widths)


def _floor(a: Analysis, scores: np.ndarray, cfg: PruneConfig, cost: CostModel | None) -> float:
    """The lowest cost ratio reachable: every group cut to its minimum width."""
    g = _Greedy(a, scores, cfg, cost)
    g.run(0.0, 0.0)
    return g.current / g.before if g.before else 1.0


def plan_from_components(a: Analysis, removed: np.ndarray) -> Plan:
    """A plan that removes exactly ``removed`` (component ids): used by tests and the oracle."""
    removed = np.unique(np.asarray(removed, dtype=np.int64))
    mask = np.isin(a.component, removed)
    kept = np.array([s.size - int(mask[s.base:s.base + s.size].sum()) for s in a.spaces], dtype=np.int64)
    cost = CostModel(a)
    before = cost.total(a.sizes)
    widths = {g.id: (g.width, g.width - int(np.isin(g.components, removed).sum())) for g in a.groups}
    return Plan(removed, kept, before, cost.total(kept), widths)
