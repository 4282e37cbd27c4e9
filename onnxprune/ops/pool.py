"""Ops that act on each channel separately: pooling, spatial reductions, Resize/Upsample, spatial Pad.

    x [N,C,H,W] --MaxPool / GlobalAveragePool / Resize / Pad(spatial)--> y [N,C,H',W']   y_i <- x_i
    x [N,C,H,W] --ReduceMean(axes=[2,3], keepdims=0)--> y [N,C]                           y_i <- x_i
A reduction or a Pad that touches the channel axis pins it; so does Resize with a channel scale != 1.
"""
from __future__ import annotations

import numpy as np

from .registry import register
from .shape_expr import channel_dims, evaluate, replace_literal

POOLS = ("MaxPool", "AveragePool", "LpPool", "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool")
REDUCES = ("ReduceMean", "ReduceMax", "ReduceMin", "ReduceSum", "ReduceL1", "ReduceL2", "ReduceProd",
           "ReduceSumSquare", "ReduceLogSum", "ReduceLogSumExp")


def _pass(ctx, x, out_axis: int, outputs=(0,)) -> None:
    for k in outputs:
        y = ctx.define(k, out_axis)
        if y is not None:
            ctx.identity(y, x)


@register(*POOLS)
def pool(node, ctx):
    x = ctx.input_space(0)
    if x is None:
        return
    if x.axis != 1:
        ctx.pin(x, "pooling expects channels on axis 1")
        return
    if len(node.output) > 1 and node.output[1]:
        ctx.pin(x, "MaxPool Indices encode channel positions")
        return
    _pass(ctx, x, 1)


def _reduce_axes(ctx, rank: int):
    axes = ctx.ints("axes", 1)
    if axes is None:
        return None
    if not axes:
        return [] if ctx.attr("noop_with_empty_axes", 0) else list(range(rank))
    return sorted(a % rank for a in axes)


@register(*REDUCES)
def reduce(node, ctx):
    x = ctx.input_space(0)
    shape = ctx.shape(node.input[0])
    if x is None or shape is None:
        return
    axes = _reduce_axes(ctx, len(shape))
    if axes is None or x.axis in axes:
        ctx.pin(x, "the reduction runs over the channel axis (or its axes are not constant)")
        return
    keep = ctx.attr("keepdims", 1)
    out_axis = x.axis if keep else x.axis - sum(1 for a in axes if a < x.axis)
    _pass(ctx, x, out_axis)


def _sizes_follow(node, ctx, x) -> bool:
    """True when the output channel count given by ``sizes`` follows the input's pruned count."""
    expr = evaluate(ctx.graph, node.input[3], reader=(node.name, 3))
    if expr is None or len(expr) <= x.axis:
        ctx.pin(x, "Resize sizes are not understood")
        return False
    hits = dict(channel_dims(ctx.graph, expr, ctx.space))
    for pos, space in hits.items():
        if pos != x.axis:
            ctx.pin(space, "its channel count is used as a spatial size")
    if expr[x.axis][0] == "lit":
        ctx.note("sizes_literal", expr[x.axis][2])
        return True
    space = hits.get(x.axis)
    if space is None or space.size != x.size:
        ctx.pin(x, "Resize sizes give the channel count in a way that is not understood")
        return False
    if space.id != x.id:
        ctx.union(space, np.arange(space.size), x, np.arange(x.size))
    return True


def _rewrite_resize(node, rw):
    source = rw.notes(node).get("sizes_literal")
    if source is not None:
        replace_literal(rw, source, len(rw.kept(node.input[0])))


def _scales_ok(ctx, index: int, axis: int) -> bool:
    if index >= len(ctx.node.input) or not ctx.node.input[index]:
        return True
    value = ctx.const(index)
    return value is not None and (value.size == 0 or float(value.reshape(-1)[axis]) == 1.0)


@register("Resize", "Upsample", rewrite=_rewrite_resize)
def resize(node, ctx):
    """Scales must keep the channel axis; a ``sizes`` input must give it as a constant or as the
    run-time channel count of a tensor (then that tensor is coupled to the input)."""
    x = ctx.input_space(0)
    if x is None:
        return
    scales_at = 1 if node.op_type == "Upsample" or ctx.opset < 11 else 2
    scales_attr = ctx.attr("scales")
    if scales_attr is not None and float(scales_attr[x.axis]) != 1.0 or not _scales_ok(ctx, scales_at, x.axis):
        ctx.pin(x, "the resize scales the channel axis or its scales are not constant")
        return
    if node.op_type == "Resize" and len(node.input) > 3 and node.input[3]:
        if not _sizes_follow(node, ctx, x):
            return
    _pass(ctx, x, x.axis)


def _pad_params(node, ctx, rank: int):
    """(pads as a 2*len(axes) vector, axes list, constant mode?) or None when pads are not constant."""
    pads = ctx.attr("pads") if ctx.opset < 11 else (ctx.const(1) if len(node.input) > 1 else None)
    if pads is None:
        return None
    axes = ctx.const(3) if len(node.input) > 3 and node.input[3] else None
    axes = list(range(rank)) if axes is None else [int(a) % rank for a in np.asarray(axes).reshape(-1)]
    mode = ctx.attr("mode", b"constant")
    return np.asarray(pads).reshape(-1).astype(np.int64), axes, mode in (b"constant", "constant")


@register("Pad", rewrite=lambda node, rw: _rewrite_pad(node, rw))
def pad(node, ctx):
    """Spatial pads pass channels through. Constant pads on the channel axis (BlazeFace's zero
    channels on a residual's skip path) add channels that exist on one side only: the input's
    channels keep their offset, the padded ones are made by the Pad and can be removed too."""
    x, shape = ctx.input_space(0), ctx.shape(node.input[0])
    if x is None or shape is None:
        return
    params = _pad_params(node, ctx, len(shape))
    if params is None:
        ctx.pin(x, "the pads are not constant")
        return
    pads, axes, constant = params
    if x.axis not in axes or not pads[[axes.index(x.axis), axes.index(x.axis) + len(axes)]].any():
        _pass(ctx, x, x.axis)
        return
    k = axes.index(x.axis)
    before, after = int(pads[k]), int(pads[k + len(axes)])
    y = ctx.define(0, x.axis)
    if not constant or before < 0 or after < 0 or y is None:
        ctx.pin(x, "the pad crops the channel axis or fills it from the data")
        ctx.pin(y, "the pad crops the channel axis or fills it from the data")
        return
    ctx.couple(y, np.arange(x.size) + before, x, np.arange(x.size))
    ctx.source(y)
    ctx.note("channel_pad", (k, len(axes), before))


def _rewrite_pad(node, rw) -> None:
    info = rw.notes(node).get("channel_pad")
    if info is None:
        return
    k, n, before = info
    kept = rw.kept(node.output[0])
    inner = len(rw.kept(node.input[0]))
    new_before = int((kept < before).sum())
    new_after = len(kept) - new_before - inner
    if rw.opset < 11:
        pads = list(next(a.ints for a in node.attribute if a.name == "pads"))
        pads[k], pads[k + n] = new_before, new_after
        rw.set_attr(node, "pads", pads)
        return
    pads = rw.const(node.input[1]).copy().reshape(-1)
    pads[k], pads[k + n] = new_before, new_after
    rw.replace_input(node, 1, pads)
