"""Latency on onnxruntime CPU: whole-model ratios (interleaved) and a per-layer latency model.

The per-layer model times every Conv of the model alone, at a few candidate channel counts, and
interpolates between them; results are cached per machine (CPU model, onnxruntime version, threads)
in ``~/.cache/onnxprune/latency``. Other ops are costed at the convs' average time per MAC.
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper, numpy_helper

from .analysis import Analysis
from .flops import CostModel
from .runtime import session

GRID = (1.0, 2 / 3, 1 / 3, 0.0)     # fractions of the full width (0.0 = the smallest allowed)


def interleaved_ms(models: list[onnx.ModelProto], feeds: dict, *, rounds: int = 20, warmup: int = 3,
                   threads: int = 1) -> list[list[float]]:
    """Per-model run times (ms), the models run in turn every round so load drift hits all alike."""
    sessions = [session(m, threads=threads) for m in models]
    for s in sessions:
        for _ in range(warmup):
            s.run(None, feeds)
    times: list[list[float]] = [[] for _ in sessions]
    for _ in range(rounds):
        for s, out in zip(sessions, times):
            t = time.perf_counter()
            s.run(None, feeds)
            out.append((time.perf_counter() - t) * 1e3)
    return times


def latency_ratio(original: onnx.ModelProto, pruned: onnx.ModelProto, feeds: dict, *, rounds: int = 20,
                  threads: int = 1) -> float:
    """median(pruned) / median(original), interleaved."""
    a, b = interleaved_ms([original, pruned], feeds, rounds=rounds, threads=threads)
    return statistics.median(b) / statistics.median(a)


def _cache_path(threads: int) -> Path:
    cpu = platform.processor() or platform.machine()
    try:
        cpu = next(ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                   if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    key = hashlib.sha1(f"{cpu}|{ort.__version__}|{threads}".encode()).hexdigest()[:12]
    root = Path(os.environ.get("ONNXPRUNE_CACHE", Path.home() / ".cache" / "onnxprune")) / "latency"
    return root / f"{key}.json"


def _conv_model(x_shape, w_shape, group: int, attrs: dict) -> onnx.ModelProto:
    rng = np.random.default_rng(0)
    w = numpy_helper.from_array(rng.standard_normal(w_shape).astype(np.float32), "W")
    node = helper.make_node("Conv", ["X", "W"], ["Y"], group=group, **attrs)
    graph = helper.make_graph([node], "conv", [helper.make_tensor_value_info("X", 1, x_shape)],
                              [helper.make_tensor_value_info("Y", 1, None)], [w])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model


def _time_ms(model: onnx.ModelProto, x_shape, threads: int) -> float:
    sess = session(model, threads=threads)
    feeds = {"X": np.random.default_rng(0).standard_normal(x_shape).astype(np.float32)}
    sess.run(None, feeds)
    runs, start = [], time.perf_counter()
    while len(runs) < 5 or (time.perf_counter() - start < 0.05 and len(runs) < 50):
        t = time.perf_counter()
        sess.run(None, feeds)
        runs.append((time.perf_counter() - t) * 1e3)
    return statistics.median(runs)


class _ConvTable:
    """Measured latency of one Conv at candidate (out, in) channel counts, bilinearly interpolated."""

    def __init__(self, outs: list[int], ins: list[int], ms: np.ndarray):
        self.outs, self.ins, self.ms = outs, ins, ms          # ms[len(outs), len(ins)], ascending grids

    def __call__(self, out: float, inp: float) -> float:
        rows = [np.interp(inp, self.ins, row) for row in self.ms]
        return float(np.interp(out, self.outs, rows))


def _grid(full: int, step: int) -> list[int]:
    """Ascending candidate widths: fractions of ``full`` rounded to ``step`` (and ``full`` itself)."""
    values = {full}
    for f in GRID:
        values.add(max(step, int(round(f * full / step)) * step))
    return sorted(v for v in values if v <= full)


class LatencyCost(CostModel):
    """Cost terms in milliseconds: Convs from their measured tables, the rest at the convs' mean
    time per MAC. Same interface as :class:`~onnxprune.flops.CostModel`, so the planner is unchanged."""

    def __init__(self, a: Analysis, round_to: int, threads: int = 1, progress=None):
        super().__init__(a)
        self.tables: dict[int, tuple[_ConvTable, tuple[int, ...]]] = {}
        self._cache_file = _cache_path(threads)
        self._cache = _load(self._cache_file)
        nodes = {n.name: n for n in a.graph.nodes}
        for i, term in enumerate(a.costs):
            node = nodes[term.node]
            if node.op_type == "Conv" and term.spaces:
                self.tables[i] = self._measure(a, node, term.spaces, round_to, threads)
                if progress:
                    progress(f"timing convs ({len(self.tables)})")
        _save(self._cache_file, self._cache)
        full = [(i, [a.spaces[s].size for s in self.terms[i]]) for i in self.tables]
        ms = sum(self.value(i, c) for i, c in full)
        macs = sum(CostModel.value(self, i, c) for i, c in full)
        self.ms_per_mac = ms / macs if macs else 0.0

    def value(self, i: int, counts: list[int]) -> float:
        entry = self.tables.get(i)
        if entry is None:
            return CostModel.value(self, i, counts) * self.ms_per_mac
        table, roles = entry
        out = counts[roles.index(0)]
        inp = counts[roles.index(1)] if 1 in roles else table.ins[-1]
        return table(out, inp)

    def _measure(self, a: Analysis, node, spaces, round_to: int, threads: int):
        """Time the conv alone on a grid of widths; roles[k] says whether spaces[k] is out (0) or in (1)."""
        g = a.graph
        x_shape = list(g.shapes[node.input[0]])
        w_shape = tuple(g.shapes[node.input[1]])
        group = next((at.i for at in node.attribute if at.name == "group"), 1)
        attrs = {at.name: helper.get_attribute_value(at) for at in node.attribute
                 if at.name in ("strides", "pads", "dilations", "kernel_shape", "auto_pad")}
        roles = tuple(0 if a.spaces[s].tensor == node.output[0] else 1 for s in spaces)
        cout, cin = w_shape[0], x_shape[1]
        per_out, per_in = cout // group, cin // group
        whole = group > 1 and 1 not in roles           # whole conv groups go: group count changes
        unit = per_out if whole else (group if group > 1 else 1)
        outs = _grid(cout, _lcm(round_to, unit))
        ins = _grid(cin, _lcm(round_to, group if group > 1 else 1)) if 1 in roles else [cin]
        ms = np.zeros((len(outs), len(ins)))
        for r, o in enumerate(outs):
            for c, i in enumerate(ins):
                groups = o // per_out if whole else group
                xi = groups * per_in if whole else i
                ms[r, c] = self._time(x_shape[:1] + [xi] + x_shape[2:], [o, xi // groups] + list(w_shape[2:]),
                                      groups, attrs, threads)
        return _ConvTable(outs, ins, ms), roles

    def _time(self, x_shape, w_shape, group, attrs, threads) -> float:
        key = json.dumps([[int(d) for d in x_shape], [int(d) for d in w_shape], int(group),
                          sorted((k, str(v)) for k, v in attrs.items())])
        if key not in self._cache:
            self._cache[key] = _time_ms(_conv_model(x_shape, w_shape, group, attrs), x_shape, threads)
        return self._cache[key]


def _lcm(a: int, b: int) -> int:
    return int(a * b // np.gcd(a, b))


def _load(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _save(path: Path, data: dict) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data))
        os.replace(tmp, path)
    except OSError:
        pass        # a cache that cannot be written only costs time


def plan_for_latency(a: Analysis, scores: np.ndarray, cfg, *, progress=None, attempts: int = 4,
                     accept: float = 0.02):
    """Plan for ``cfg.target_latency`` with the per-layer latency model, then measure the whole
    pruned model against the original (interleaved) and correct the model's target until the
    measured ratio is within ``accept`` of the goal. Returns (plan, pruned model, measured ratio)."""
    from .plan import make_plan
    from .rewrite import rewrite
    from .runtime import random_feeds
    say = progress or (lambda _m: None)
    cost = LatencyCost(a, cfg.round_to, cfg.latency_threads, progress=say)
    feeds = random_feeds(a.graph.model, a.graph.shapes, cfg.seed)
    goal, aim, best = cfg.target_latency, cfg.target_latency, None
    for _ in range(attempts):
        plan = make_plan(a, scores, cfg, cost=cost, target=aim)
        pruned = rewrite(a, plan)
        say(f"measuring latency (model target {aim:.3f})")
        measured = latency_ratio(a.graph.model, pruned, feeds, threads=cfg.latency_threads)
        if best is None or abs(measured - goal) < abs(best[2] - goal):
            best = (plan, pruned, measured)
        if abs(measured - goal) <= accept:
            break
        aim = float(np.clip(aim * goal / measured, 0.02, 1.0))
    return best
