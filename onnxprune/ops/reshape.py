"""Squeeze, Unsqueeze, Flatten and Reshape: the channel axis moves, merges or splits.

    x [N,C,1,1] --Squeeze([2,3])--> y [N,C]                  y_i <- x_i
    x [N,C,H,W] --Flatten(1) / Reshape([N,-1])--> y [N,C*H*W]   y_(c*H*W+s) <- x_c   (merge)
    x [N,C*H*W] --Reshape([N,C,H,W])--> y [N,C,H,W]           y_c <- x_(c*H*W..c*H*W+H*W-1) (split)
A literal in a Reshape shape constant that equals the old count is rewritten; -1, 0 and run-time
sizes of untouched axes need nothing.
"""
from __future__ import annotations

import numpy as np

from .registry import register
from .shape_expr import channel_dims, evaluate, replace_literal


def _axes(ctx, rank: int):
    """Sorted axes ([] when not given), or None when they are not constant."""
    axes = ctx.ints("axes", 1)
    return None if axes is None else sorted(a % rank for a in axes)


@register("Squeeze")
def squeeze(node, ctx):
    x, shape = ctx.input_space(0), ctx.shape(node.input[0])
    if x is None or shape is None:
        return
    axes = _axes(ctx, len(shape))
    if axes is None:
        ctx.pin(x, "squeeze axes are not constant")
        return
    axes = axes or [i for i, d in enumerate(shape) if d == 1]
    if x.axis in axes:
        ctx.pin(x, "squeezes the channel axis")
        return
    y = ctx.define(0, x.axis - sum(1 for a in axes if a < x.axis))
    if y is not None:
        ctx.identity(y, x)


@register("Unsqueeze")
def unsqueeze(node, ctx):
    x, out = ctx.input_space(0), ctx.shape(node.output[0])
    if x is None or out is None:
        return
    axes = _axes(ctx, len(out))
    if not axes:
        ctx.pin(x, "unsqueeze axes are not constant")
        return
    axis = x.axis
    for a in axes:
        if a <= axis:
            axis += 1
    y = ctx.define(0, axis)
    if y is not None:
        ctx.identity(y, x)


def _static(shape) -> bool:
    return shape is not None and all(isinstance(d, int) for d in shape)


def _map_channels(ctx, x, in_shape, out_shape):
    """(output axis, merge, split, inner) when the channel axis survives as one output axis.

    - identity: an output axis of exactly C;
    - merge: an axis of C*inner (Flatten): out j <- in j // merge;
    - split: an axis taking the outer part of C = d * rest: out j <- in j * split .. (j+1) * split - 1;
    - inner: an axis taking the inner part of C = g * d (channel shuffle's [g, C/g] view): out j <- in
      j, j + d, j + 2d ... (so every one of the g blocks loses the same channels).
    Size-1 axes make several qualify: identity wins, then merge, then the split with more channels.
    """
    before = int(np.prod(in_shape[:x.axis]))
    prods = np.cumprod([1] + list(out_shape))
    inner_in = np.cumprod([1] + list(in_shape[x.axis + 1:])).tolist()
    found = []
    for b in range(len(out_shape)):
        d = out_shape[b]
        if prods[b] == before and d == x.size:
            found.append((0, 0, b, 1, 1, 0))
        elif prods[b] == before and d > x.size and d % x.size == 0 and d // x.size in inner_in:
            found.append((1, 0, b, d // x.size, 1, 0))
        elif prods[b] == before and 1 < d < x.size and x.size % d == 0 and _splits(out_shape[b + 1:], x.size // d):
            found.append((2, -d, b, 1, x.size // d, 0))
        elif b > 0 and prods[b - 1] == before and 1 < d < x.size and out_shape[b - 1] * d == x.size:
            found.append((2, -d, b, 1, 1, d))
    return min(found)[2:] if found else None


def _splits(dims, factor: int) -> bool:
    return factor in np.cumprod([1] + list(dims)).tolist()


def _couple_mapped(ctx, x, y, merge: int, split: int, inner: int = 0) -> None:
    if inner:
        ctx.couple(y, np.arange(x.size) % inner, x, np.arange(x.size))
    elif merge > 1:
        ctx.couple(y, np.arange(y.size), x, np.arange(y.size) // merge)
    elif split > 1:
        ctx.couple(y, np.arange(x.size) // split, x, np.arange(x.size))
    else:
        ctx.identity(y, x)


@register("Flatten")
def flatten(node, ctx):
    x, in_shape = ctx.input_space(0), ctx.shape(node.input[0])
    if x is None or not _static(in_shape):
        return
    axis = int(ctx.attr("axis", 1)) % max(len(in_shape), 1)
    before = int(np.prod(in_shape[:x.axis]))
    if axis != x.axis and not (axis < x.axis and int(np.prod(in_shape[axis:x.axis])) == 1) or before == 0:
        ctx.pin(x, "Flatten mixes the channel axis with the batch axis")
        return
    y = ctx.define(0, 1 if axis > 0 else 0)
    if y is not None:
        _couple_mapped(ctx, x, y, int(np.prod(in_shape[x.axis + 1:])), 1)


@register("Reshape", rewrite=lambda node, rw: _rewrite_reshape(node, rw))
def reshape(node, ctx):
    x, in_shape, out_shape = ctx.input_space(0), ctx.shape(node.input[0]), ctx.shape(node.output[0])
    if x is None or not _static(in_shape) or not _static(out_shape):
        ctx.pin(x, "Reshape with unknown shapes")
        return
    mapped = _map_channels(ctx, x, in_shape, out_shape)
    expr = evaluate(ctx.graph, node.input[1], reader=(node.name, 1))
    if mapped is None or expr is None or len(expr) != len(out_shape):
        ctx.pin(x, "Reshape moves channels in a way that is not provable")
        return
    b, merge, split, inner = mapped
    same = merge == 1 and split == 1 and not inner
    for pos, space in channel_dims(ctx.graph, expr, ctx.space):
        if pos != b or space.id != x.id or not same:
            ctx.pin(space, f"its channel count is used as a shape value in {ctx.where}")
    reason = _target_problem(ctx, node, expr[b], x, b, same, out_shape[b])
    if reason:
        ctx.pin(x, reason)
        return
    if expr[b][0] == "lit" and expr[b][1] > 0:
        ctx.note("reshape", expr[b][2])
    y = ctx.define(0, b)
    if y is not None:
        _couple_mapped(ctx, x, y, merge, split, inner)


def _target_problem(ctx, node, el, x, b: int, same: bool, size: int) -> str | None:
    """Why the shape element giving the output channel count would not follow pruning, or None."""
    if el[0] == "lit" and el[1] > 0:
        return None if el[1] == size else "the Reshape shape disagrees with the inferred shape"
    if el[0] == "lit" and el[1] == -1:
        return None
    if same and b == x.axis and (el[:2] == ("lit", 0) or el == ("dim", x.tensor, x.axis)):
        return None
    return "the Reshape shape gives the channel count in a way that does not follow pruning"


def _rewrite_reshape(node, rw) -> None:
    source = rw.notes(node).get("reshape")
    if source is not None:
        replace_literal(rw, source, len(rw.kept(node.output[0])))
