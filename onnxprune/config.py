"""Frozen, validated configuration for a pruning run."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from .errors import ConfigError

CRITERIA = ("l2", "l1", "bn_scale")
DEFAULT_ROUND_TO = 16


@dataclass(frozen=True)
class PruneConfig:
    """Options of :func:`onnxprune.prune`.

    target_flops: the pruned model has ``target_flops`` x the original FLOPs, in (0, 1].
    tolerance: accepted relative error on the target (0.01 = the achieved ratio is within 1% of it).
    round_to: every pruned channel count is a multiple of this (16 keeps onnxruntime on its blocked
        NCHWc kernels; see docs/rounding.md for the measurement behind the default). ``"auto"``
        uses this CPU's NCHWc block (16 with AVX-512, 8 with AVX2, else 4).
    min_keep: fraction of each group's channels that is never removed (at least one rounding step).
    exclude: node names whose channels are never changed.
    criterion: channel importance, one of ``l2``, ``l1``, ``bn_scale``.
    include_consumers: also count the consumer weight slices of a channel in its importance.
    verify: run the checker, onnxruntime and an output-shape comparison on the result.
    seed: seed of the verification inputs.
    target_latency: when set, plan for this onnxruntime CPU latency ratio instead of a FLOPs ratio
        (per-layer latencies measured and cached per machine, the whole model measured to confirm).
    latency_threads: onnxruntime intra-op threads for latency measurements.
    finetune_steps, lr, batch_size: distillation fine-tuning after pruning, when data is given.
    prefer_latency: with a FLOPs target, take first the channels that save the most measured latency
        per unit of importance (per-conv latency tables as for target_latency).
    """

    target_flops: float = 0.5
    tolerance: float = 0.01
    round_to: int | str = DEFAULT_ROUND_TO
    min_keep: float = 0.1
    exclude: tuple[str, ...] = field(default_factory=tuple)
    criterion: str = "l2"
    include_consumers: bool = False
    verify: bool = True
    seed: int = 0
    target_latency: float | None = None
    latency_threads: int = 1
    prefer_latency: bool = False
    finetune_steps: int = 200
    lr: float = 1e-3
    batch_size: int = 32

    def __post_init__(self):
        if self.round_to == "auto":
            from .cpu import nchwc_block
            object.__setattr__(self, "round_to", nchwc_block())
        _check_fraction("target_flops", self.target_flops, allow_one=True)
        if self.target_latency is not None:
            _check_fraction("target_latency", self.target_latency, allow_one=True)
        _check_fraction("tolerance", self.tolerance, allow_one=False)
        _check_fraction("min_keep", self.min_keep, allow_one=True, allow_zero=True)
        if not isinstance(self.round_to, int) or self.round_to < 1:
            raise ConfigError(f"round_to={self.round_to!r} must be a whole number >= 1 (1 disables rounding) "
                              "or 'auto'")
        if self.criterion not in CRITERIA:
            raise ConfigError(f"criterion={self.criterion!r} is unknown: use one of {', '.join(CRITERIA)}")
        object.__setattr__(self, "exclude", tuple(self.exclude))


def _check_fraction(name: str, value, *, allow_one: bool, allow_zero: bool = False) -> None:
    ok_type = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not ok_type or math.isnan(value):
        raise ConfigError(f"{name}={value!r} must be a number in (0, 1]")
    low_ok = value >= 0 if allow_zero else value > 0
    high_ok = value <= 1 if allow_one else value < 1
    if not (low_ok and high_ok):
        raise ConfigError(f"{name}={value!r} is out of range: give a number in {'[0' if allow_zero else '(0'}, 1{']' if allow_one else ')'}")
