"""Conv and ConvTranspose: dense, depthwise and grouped.

    X [N, Cin, *S] --Conv(W [Cout, Cin/g, *K], B [Cout])--> Y [N, Cout, *S']

Dense (g = 1): W axis 0 produces Y, W axis 1 consumes X; channels of X and Y are independent.
Grouped, few wide groups (g < Cin/g, e.g. AlexNet g=2): channels are pruned *inside* the groups:
channel j of every group is coupled (so each group loses the same ones), W axis 0 produces Y, W
axis 1 (Cin/g long) consumes the first group's channels of X; ``group`` stays.
Grouped, many narrow groups (depthwise, ShuffleNet, RegNet): a conv group is removed whole: its
Cin/g input and Cout/g output channels are coupled, W axis 0 is sliced by Y, ``group`` is rewritten.
ConvTranspose mirrors it with W [Cin, Cout/g, *K].
"""
from __future__ import annotations

import numpy as np

from .registry import register


def _couple_groups(ctx, x, y, groups: int) -> None:
    """Tie every input and output channel of each conv group to the group's first output channel."""
    per_in, per_out = x.size // groups, y.size // groups
    first_out = (np.arange(groups) * per_out)
    ctx.union(y, np.arange(y.size), y, np.repeat(first_out, per_out))
    ctx.union(x, np.arange(x.size), y, np.repeat(first_out, per_in))
    ctx.source(y)


def _within_groups(ctx, x, y, groups: int) -> None:
    """Tie channel j of every group to channel j of the first group, for input and output."""
    for space in (x, y):
        per = space.size // groups
        ctx.union(space, np.arange(space.size), space, np.arange(space.size) % per)


def _fixed_cost(ctx, w_shape, out_shape) -> None:
    """MACs of a conv none of whose channels can change (still part of the model's FLOPs)."""
    shapes = (w_shape, out_shape)
    if all(s is not None and all(isinstance(d, int) for d in s) for s in shapes):
        ctx.cost(float(np.prod(out_shape)) * float(np.prod(w_shape[1:])))


def _spatial(shape) -> int:
    return int(np.prod([d for d in shape[2:]])) if shape else 0


def _rewrite_groups(node, rw) -> None:
    per = rw.notes(node).get("per_group_out")
    if per is None:
        return
    kept = len(rw.kept(node.output[0]))
    rw.set_attr(node, "group", kept // per)


@register("Conv", rewrite=_rewrite_groups)
def conv(node, ctx):
    x, w = ctx.input_space(0), ctx.weight_shape(1)
    y = ctx.define(0, 1)
    out_shape = ctx.shape(node.output[0])
    if w is None or y is None or out_shape is None or not all(isinstance(d, int) for d in out_shape):
        ctx.pin(x, "weights are not constant or the output shape is unknown")
        ctx.pin(y, "weights are not constant or the output shape is unknown")
        _fixed_cost(ctx, ctx.shape(node.input[1]), out_shape)
        return
    groups = int(ctx.attr("group", 1))
    kernel = int(np.prod(w[2:]))
    base = out_shape[0] * _spatial(out_shape) * kernel
    if x is not None and x.axis != 1:
        ctx.pin(x, f"the conv reads axis 1 but the channel axis here is {x.axis}")
        x = None
    ctx.slice(1, 0, y, "produces")
    if len(node.input) > 2 and node.input[2]:
        ctx.slice(2, 0, y, "per_channel", "bias")
    if groups == 1:
        if x is not None:
            ctx.slice(1, 1, x, "consumes")
            ctx.cost(base, y, x)
        else:
            ctx.cost(base * w[1], y)
        return
    if x is None:
        ctx.pin(y, "grouped conv whose input channels are not tracked")
        ctx.cost(base * w[1], y)
        return
    if groups < w[1]:
        _within_groups(ctx, x, y, groups)
        ctx.slice(1, 1, x, "consumes", period=w[1])
        ctx.cost(base / groups, y, x)
        return
    _couple_groups(ctx, x, y, groups)
    ctx.note("per_group_out", y.size // groups)
    ctx.cost(base * w[1], y)


@register("ConvTranspose", rewrite=_rewrite_groups)
def conv_transpose(node, ctx):
    x, w = ctx.input_space(0), ctx.weight_shape(1)
    y = ctx.define(0, 1)
    in_shape = ctx.shape(node.input[0])
    if w is None or x is None or y is None or in_shape is None or x.axis != 1 or \
            not all(isinstance(d, int) for d in in_shape):
        ctx.pin(x, "weights are not constant or shapes are unknown")
        ctx.pin(y, "weights are not constant or shapes are unknown")
        w_shape = ctx.shape(node.input[1])
        if in_shape and w_shape and all(isinstance(d, int) for d in list(in_shape) + list(w_shape)):
            ctx.cost(float(np.prod(in_shape)) * float(np.prod(w_shape[1:])))
        return
    groups = int(ctx.attr("group", 1))
    base = in_shape[0] * _spatial(in_shape) * int(np.prod(w[2:]))
    if len(node.input) > 2 and node.input[2]:
        ctx.slice(2, 0, y, "per_channel", "bias")
    if groups == 1:
        ctx.slice(1, 0, x, "consumes")
        ctx.slice(1, 1, y, "produces")
        ctx.cost(base, x, y)
        return
    _couple_groups(ctx, x, y, groups)
    ctx.slice(1, 0, x, "produces")
    ctx.note("per_group_out", y.size // groups)
    ctx.cost(base * w[1], x)
