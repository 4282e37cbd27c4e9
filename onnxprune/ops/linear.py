"""Gemm and MatMul with constant weights: features on the last axis.

    A [M, K] --Gemm(B [K, N] or [N, K] with transB, C [N])--> Y [M, N]
    A [..., K] --MatMul(B [K, N])--> Y [..., N]
B's K axis consumes A's channels, its N axis produces Y's; C is sliced with Y. Two activations
multiplied together (attention) pin both.
"""
from __future__ import annotations

import numpy as np

from .registry import register


def _rows(shape) -> int | None:
    if shape is None or not all(isinstance(d, int) for d in shape[:-1]):
        return None
    return int(np.prod(shape[:-1])) if len(shape) > 1 else 1


@register("Gemm")
def gemm(node, ctx):
    a, b = ctx.input_space(0), ctx.weight_shape(1)
    a_shape = ctx.shape(node.input[0])
    trans_a, trans_b = ctx.attr("transA", 0), ctx.attr("transB", 0)
    y = ctx.define(0, 1)
    if b is None or y is None or a_shape is None or trans_a or (a is not None and a.axis != 1):
        ctx.pin(a, "Gemm with transposed or non-constant operands")
        ctx.pin(y, "Gemm with transposed or non-constant operands")
        ctx.cost(_full_cost(ctx, node, a_shape, trans_a), None)
        return
    k_axis, n_axis = (1, 0) if trans_b else (0, 1)
    ctx.slice(1, n_axis, y, "produces")
    if len(node.input) > 2 and node.input[2]:
        c_shape = ctx.shape(node.input[2])
        if c_shape and c_shape[-1] == y.size and y.size > 1:
            ctx.slice(2, len(c_shape) - 1, y, "per_channel", "bias")
    if a is not None:
        ctx.slice(1, k_axis, a, "consumes")
        ctx.cost(a_shape[0], a, y)
    else:
        ctx.cost(a_shape[0] * b[k_axis], y)


def _full_cost(ctx, node, a_shape, trans_a) -> float:
    out = ctx.shape(node.output[0])
    if a_shape is None or out is None or not all(isinstance(d, int) for d in list(a_shape) + list(out)):
        return 0.0
    return float(np.prod(out)) * a_shape[0 if trans_a else 1]


@register("MatMul")
def matmul(node, ctx):
    a, b = ctx.input_space(0), ctx.weight_shape(1)
    a_shape = ctx.shape(node.input[0])
    rows = _rows(a_shape)
    if b is None or len(b) != 2 or rows is None:
        _pin_matmul(node, ctx, a_shape)
        return
    y = ctx.define(0, len(a_shape) - 1)
    if y is None:
        ctx.pin(a, "MatMul output shape is unknown")
        return
    ctx.slice(1, 1, y, "produces")
    if a is not None and a.axis == len(a_shape) - 1:
        ctx.slice(1, 0, a, "consumes")
        ctx.cost(rows, a, y)
    else:
        ctx.pin(a, "MatMul contracts an axis that is not the tracked channel axis")
        ctx.cost(rows * b[0], y)


def _pin_matmul(node, ctx, a_shape) -> None:
    """Activation x activation (or constant x activation): pin every operand, count the full cost."""
    why = "MatMul of two activations (or a constant left operand)"
    for i in range(2):
        ctx.pin(ctx.input_space(i), why)
    out_shape = ctx.shape(node.output[0])
    if out_shape:
        ctx.pin(ctx.define(0, len(out_shape) - 1), why)
    b_shape = ctx.shape(node.input[1])
    if a_shape and b_shape and all(isinstance(d, int) for d in list(a_shape) + list(b_shape)):
        out = ctx.shape(node.output[0])
        if out and all(isinstance(d, int) for d in out):
            ctx.cost(float(np.prod(out)) * a_shape[-1], None)
