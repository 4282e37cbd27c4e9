"""The Python API: load, analyze, prune."""
from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path
from dataclasses import dataclass
from typing import Callable

import onnx

from .analysis import Analysis, analyze_graph
from .config import PruneConfig
from .data import load_data
from .errors import ConfigError
from .flops import count_params
from .importance import component_scores
from .ir import Graph, build_graph, check_model, load_model
from .latency import LatencyCost, plan_for_latency
from .plan import make_plan
from .report import Report, group_rows, pin_summary, pinned_flops_share
from .rewrite import rewrite
from .shapes import weight_bytes
from .verify import LARGE_BYTES, verify

Progress = Callable[[str], None]


@dataclass
class PruneResult:
    model: onnx.ModelProto
    report: Report


def load(source, *, input_shapes: dict[str, tuple[int, ...]] | None = None) -> Graph:
    """Read (path or ModelProto, never modified), check, and index a model.

    input_shapes: static shapes for graph inputs with dynamic dims, used for FLOPs counting and
    verification only (the written model keeps its dynamic dims). Unset dims: batch 1, others 224.
    """
    model = load_model(source)
    is_path = isinstance(source, (str, os.PathLike))
    check_model(model, where=str(source) if is_path else "model")
    return build_graph(model, input_shapes)


def analyze(source, *, exclude: tuple[str, ...] = (), input_shapes=None) -> Analysis:
    """Channel groups of a model (``.groups``), with the reason each pinned group is pinned."""
    graph = source if isinstance(source, Graph) else load(source, input_shapes=input_shapes)
    return analyze_graph(graph, tuple(exclude))


def prune(source, *, target_flops: float | None = None, config: PruneConfig | None = None,
          input_shapes=None, data=None, progress: Progress | None = None) -> PruneResult:
    """Prune to ``target_flops`` x the original FLOPs; returns the new model and a :class:`Report`.

    ``config`` holds every other option; ``target_flops`` given here overrides ``config``'s.
    ``data`` (an .npz path keyed by input names, or an iterable of feed dicts) turns on distillation
    fine-tuning of the pruned model (needs ``onnxprune[torch]``).
    Raises an :class:`~onnxprune.errors.OnnxPruneError` subclass with a one-line message on failure.
    """
    cfg = config or PruneConfig()
    if target_flops is not None:
        cfg = dataclasses.replace(cfg, target_flops=target_flops)
    say = progress or (lambda _msg: None)
    clock = _Clock()
    say("loading")
    graph = source if isinstance(source, Graph) else load(source, input_shapes=input_shapes)
    dataset = load_data(data, graph) if data is not None else None
    clock.lap("load")
    say("analysing channel groups")
    a = analyze_graph(graph, cfg.exclude)
    clock.lap("analyze")
    say("planning")
    scores = component_scores(a, cfg.criterion, cfg.include_consumers)
    latency = None
    if cfg.target_latency is None:
        rank = LatencyCost(a, cfg.round_to, cfg.latency_threads, progress=say) if cfg.prefer_latency else None
        plan = make_plan(a, scores, cfg, rank=rank)
        clock.lap("plan")
        say("rewriting")
        pruned = rewrite(a, plan)
        clock.lap("rewrite")
    else:
        plan, pruned, latency = plan_for_latency(a, scores, cfg, progress=say)
        clock.lap("plan_for_latency")
    if dataset is not None:
        pruned, loss = _finetune(graph.model, pruned, dataset, cfg, say)
        clock.lap("finetune")
    report = _report(a, plan, pruned, cfg, clock.laps)
    report.latency_ratio = latency
    if cfg.verify:
        say("verifying with onnxruntime")
        original, shapes = _release(graph, source)
        del a, graph                          # large models: the original weights can go now
        drift = verify(original, pruned, shapes, cfg.seed)
        if drift is not None:
            report.drift_max_abs, report.drift_rel = drift.max_abs, drift.rel
        clock.lap("verify")
    return PruneResult(pruned, report)


def _finetune(original, pruned, dataset, cfg: PruneConfig, say):
    try:
        from .torch_bridge.finetune import FinetuneConfig, distill
    except ImportError as e:
        raise ConfigError("fine-tuning with data needs torch: pip install 'onnxprune[torch]'") from e
    ft = FinetuneConfig(steps=cfg.finetune_steps, lr=cfg.lr, batch_size=cfg.batch_size, seed=cfg.seed)
    return distill(original, pruned, dataset, ft, progress=say)


def _release(graph: Graph, source):
    """(what to verify against, shapes): the original's path for a large model read from a file, so
    its in-memory weights can be freed before onnxruntime loads them again; else the proto."""
    large = isinstance(source, (str, os.PathLike)) and weight_bytes(graph.model) >= LARGE_BYTES
    return (Path(source) if large else graph.model), graph.shapes


def _report(a: Analysis, plan, pruned, cfg: PruneConfig, laps) -> Report:
    pinned, reasons = pin_summary(a)
    pruned_groups = sum(1 for before, after in plan.group_widths.values() if after < before)
    return Report(
        target_flops=cfg.target_flops, flops_before=plan.flops_before, flops_after=plan.flops_after,
        params_before=count_params(a.graph.model), params_after=count_params(pruned),
        groups_total=len(a.groups), groups_prunable=len(a.prunable_groups()), groups_pruned=pruned_groups,
        channels_before=int(a.sizes.sum()), channels_removed=int(a.sizes.sum() - plan.kept.sum()),
        pinned_channels=pinned, pin_reasons=reasons, pinned_flops_share=pinned_flops_share(a),
        seconds=laps, groups=group_rows(a, plan.group_widths))


class _Clock:
    def __init__(self):
        self.laps: dict[str, float] = {}
        self._t = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(now - self._t, 4)
        self._t = now
