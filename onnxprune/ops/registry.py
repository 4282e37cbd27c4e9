"""The one registry of op handlers.

A handler *declares* facts about one node through the analysis context (see
:class:`onnxprune.analysis.Context`): which output channel spaces it defines, how channels of its
inputs and outputs are coupled, which weight axes are indexed by which channels, what it costs, and
what must be pinned. Engines (analysis, FLOPs, importance, rewriter, oracle) act on those facts.

Registration is explicit, rejects duplicates and is opset-aware: :func:`lookup` returns the handler
with the newest ``since`` that is <= the model's opset.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

AnalyzeFn = Callable[..., None]
RewriteFn = Callable[..., None]


@dataclass(frozen=True)
class Handler:
    op_type: str
    since: int
    analyze: AnalyzeFn
    rewrite: RewriteFn | None = None


_REGISTRY: dict[str, list[Handler]] = {}


def register(*op_types: str, since: int = 1, rewrite: RewriteFn | None = None):
    """Decorator: register ``analyze(node, ctx)`` for ``op_types`` (default domain) from opset ``since``."""
    def deco(fn: AnalyzeFn) -> AnalyzeFn:
        for op in op_types:
            versions = _REGISTRY.setdefault(op, [])
            if any(h.since == since for h in versions):
                raise ValueError(f"duplicate handler for {op} since opset {since}")
            versions.append(Handler(op, since, fn, rewrite))
            versions.sort(key=lambda h: h.since)
        return fn
    return deco


def lookup(op_type: str, domain: str, opset: int) -> Handler | None:
    """The handler for a node, or None when the op is unknown (the caller then pins, fail closed)."""
    if domain not in ("", "ai.onnx"):
        return None
    best = None
    for h in _REGISTRY.get(op_type, ()):
        if h.since <= opset:
            best = h
    return best


def known_ops() -> list[str]:
    return sorted(_REGISTRY)


# -- execution kernels ----------------------------------------------------------------------------
# The torch bridge (onnxprune.torch_bridge, optional) registers one kernel per op type here, next
# to the analysis handlers, so one table says what onnxprune knows about an op. This module never
# imports torch: kernels are plain callables registered by the bridge when it is imported.
_KERNELS: dict[str, Callable] = {}


def register_kernel(*op_types: str):
    """Decorator: ``kernel(node, attrs, inputs) -> list of outputs`` executes ``op_types``."""
    def deco(fn: Callable) -> Callable:
        for op in op_types:
            if op in _KERNELS:
                raise ValueError(f"duplicate kernel for {op}")
            _KERNELS[op] = fn
        return fn
    return deco


def kernel(op_type: str, domain: str = "") -> Callable | None:
    return _KERNELS.get(op_type) if domain in ("", "ai.onnx") else None
