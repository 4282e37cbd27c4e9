"""Ops that move channels around without arithmetic: Concat, Split, Slice, Transpose, Squeeze,
Unsqueeze, Flatten, Reshape.

    a [N,Ca,H,W], b [N,Cb,H,W] --Concat(axis=1)--> y [N,Ca+Cb,H,W]   y_i <- a_i,  y_(Ca+j) <- b_j
    x [N,C,H,W] --Split(axis=1, [c0, c1])--> y0, y1                    y0_i <- x_i, y1_j <- x_(c0+j)
    x [N,C,H,W] --Flatten(axis=1)--> y [N, C*H*W]                      y_(c*H*W+s) <- x_c
On any other axis these ops are per-channel (y_i <- x_i). Split sizes, Slice bounds and Reshape shape
constants are rewritten from the kept channels.
"""
from __future__ import annotations

import numpy as np

from .registry import register


def _axis(ctx, name: str, default: int = 0) -> int | None:
    shape = ctx.shape(name)
    return None if shape is None else int(ctx.attr("axis", default)) % max(len(shape), 1)


@register("Concat")
def concat(node, ctx):
    shape = ctx.shape(node.output[0])
    spaces = [ctx.input_space(i) for i in range(len(node.input))]
    tracked = [s for s in spaces if s is not None]
    if shape is None or not tracked or len({s.axis for s in tracked}) != 1:
        for s in tracked:
            ctx.pin(s, "inputs disagree on the channel axis")
        return
    axis, ch = _axis(ctx, node.output[0]), tracked[0].axis
    y = ctx.define(0, ch)
    if y is None:
        return
    offset = 0
    for i, (name, s) in enumerate(zip(node.input, spaces)):
        in_shape = ctx.shape(name)
        if axis == ch:
            if s is not None:
                ctx.couple(y, np.arange(s.size) + offset, s, np.arange(s.size))
            offset += in_shape[axis] if in_shape else 0
        elif s is not None:
            ctx.identity(y, s)
        elif ctx.const(i) is not None and in_shape and in_shape[ch] == y.size and y.size > 1:
            ctx.slice(i, ch, y, "per_channel")
        else:
            ctx.pin(y, f"input {name!r} has channels that are not tracked")


def _split_sizes(ctx, total: int, n: int):
    sizes = ctx.ints("split", 1)
    if sizes == []:
        chunk = -(-total // n)
        sizes = [min(chunk, total - k * chunk) for k in range(n)]
    return sizes


@register("Split", rewrite=lambda node, rw: _rewrite_split(node, rw))
def split(node, ctx):
    x = ctx.input_space(0)
    if x is None:
        return
    axis = _axis(ctx, node.input[0])
    sizes = _split_sizes(ctx, x.size, len(node.output))
    if axis != x.axis:
        for k in range(len(node.output)):
            y = ctx.define(k, x.axis)
            if y is not None:
                ctx.identity(y, x)
        return
    if sizes is None:
        ctx.pin(x, "split sizes are not constant")
        return
    offset = 0
    for k, size in enumerate(sizes):
        y = ctx.define(k, x.axis)
        if y is not None:
            ctx.couple(y, np.arange(size), x, np.arange(size) + offset)
        offset += size
    ctx.note("channel_split", True)


def _rewrite_split(node, rw) -> None:
    if not rw.notes(node).get("channel_split"):
        return
    sizes = np.array([len(rw.kept(o)) for o in node.output], dtype=np.int64)
    rw.remove_attr(node, "num_outputs")
    if rw.has_attr(node, "split") or rw.opset < 13:
        rw.set_attr(node, "split", sizes.tolist())
    else:
        rw.replace_input(node, 1, sizes)


def _slice_params(node, ctx, rank: int):
    if ctx.opset < 10:
        starts, ends, axes, steps = ctx.attr("starts"), ctx.attr("ends"), ctx.attr("axes"), None
    else:
        starts, ends, axes, steps = (ctx.const(i) if len(node.input) > i and node.input[i] else None
                                     for i in (1, 2, 3, 4))
        if starts is None or ends is None or (len(node.input) > 3 and node.input[3] and axes is None) or \
                (len(node.input) > 4 and node.input[4] and steps is None):
            return None
    starts, ends = np.asarray(starts).reshape(-1), np.asarray(ends).reshape(-1)
    axes = np.arange(len(starts)) if axes is None else np.asarray(axes).reshape(-1) % rank
    steps = np.ones(len(starts), dtype=np.int64) if steps is None else np.asarray(steps).reshape(-1)
    return starts, ends, axes.tolist(), steps


@register("Slice", rewrite=lambda node, rw: _rewrite_slice(node, rw))
def slice_(node, ctx):
    x = ctx.input_space(0)
    shape = ctx.shape(node.input[0])
    if x is None or shape is None:
        return
    params = _slice_params(node, ctx, len(shape))
    if params is None:
        _runtime_slice(node, ctx, x)
        return
    starts, ends, axes, steps = params
    y = ctx.define(0, x.axis)
    if y is None:
        return
    if x.axis not in axes:
        ctx.identity(y, x)
        return
    k = axes.index(x.axis)
    start = int(np.clip(starts[k] + x.size if starts[k] < 0 else starts[k], 0, x.size))
    if steps[k] != 1 or ctx.opset < 10:
        ctx.pin(x, "channel slice with a step other than 1 (or an opset < 10 slice)")
        return
    ctx.couple(y, np.arange(y.size), x, np.arange(y.size) + start)
    ctx.note("slice", (k, start))


def _runtime_slice(node, ctx, x) -> None:
    """Bounds computed at run time from the channel count (torch ``chunk``): when the slice is chunk
    k of n for any channel count, couple channel j of every chunk so all chunks stay equal; the
    bounds then follow pruning by themselves. Otherwise pin."""
    found = _chunk_of(node, ctx, x)
    if found is None:
        ctx.pin(x, "slice bounds are computed at run time in a way that is not understood")
        return
    k, n = found
    per = x.size // n
    y = ctx.define(0, x.axis)
    if y is None or y.size != per:
        ctx.pin(x, "run-time slice output does not match its chunk")
        return
    ctx.union(x, np.arange(x.size), x, np.arange(x.size) % per)
    ctx.couple(y, np.arange(per), x, np.arange(per) + k * per)


def _chunk_of(node, ctx, x):
    """(k, n) when the slice takes chunk k of n equal chunks of the channel axis at sizes C and 2C."""
    from .shape_expr import numeric
    rank = len(ctx.shape(node.input[0]))
    axes = ctx.const(3) if len(node.input) > 3 and node.input[3] else np.arange(rank)
    steps = ctx.const(4) if len(node.input) > 4 and node.input[4] else None
    if axes is None or ctx.opset < 10 or (steps is not None and np.any(steps != 1)):
        return None
    axes = [int(a) % rank for a in np.asarray(axes).reshape(-1)]
    if axes != [x.axis]:
        return None
    bounds = []
    for c in (x.size, 2 * x.size):
        reads = set()

        def dim_of(t, ax, c=c, reads=reads):
            reads.add((t, ax))
            shape = ctx.shape(t)
            return c if (t, ax) == (x.tensor, x.axis) else (shape[ax] if shape else -1)
        start, end = (numeric(ctx.graph, node.input[i], dim_of) for i in (1, 2))
        if start is None or end is None or any(r != (x.tensor, x.axis) and ctx.space(r[0]) is not None
                                               and ctx.space(r[0]).axis == r[1] for r in reads):
            return None
        bounds.append((int(start.reshape(-1)[0]), min(int(end.reshape(-1)[0]), c)))
    (s1, e1), (s2, e2) = bounds
    size = e1 - s1
    if size <= 0 or x.size % size or (s2, e2) != (2 * s1, 2 * e1) or s1 % size:
        return None
    return s1 // size, x.size // size


def _rewrite_slice(node, rw) -> None:
    info = rw.notes(node).get("slice")
    if info is None:
        return
    k, start = info
    kept_in = rw.kept(node.input[0])
    new_start = int(np.searchsorted(kept_in, start))
    new_end = new_start + len(rw.kept(node.output[0]))
    for index, value in ((1, new_start), (2, new_end)):
        arr = rw.const(node.input[index]).copy().reshape(-1)
        arr[k] = value
        rw.replace_input(node, index, arr)


@register("Transpose")
def transpose(node, ctx):
    x = ctx.input_space(0)
    shape = ctx.shape(node.input[0])
    if x is None or shape is None:
        return
    perm = ctx.attr("perm") or list(reversed(range(len(shape))))
    y = ctx.define(0, list(perm).index(x.axis))
    if y is not None:
        ctx.identity(y, x)


@register("Gather")
def gather(node, ctx):
    """Constant indices along an axis other than the channels: channels pass through (the axis
    moves when the indices drop or add dimensions). Picking channels pins them."""
    x, shape, idx = ctx.input_space(0), ctx.shape(node.input[0]), ctx.const(1)
    if x is None or shape is None:
        return
    axis = int(ctx.attr("axis", 0)) % len(shape)
    if idx is None or axis == x.axis:
        ctx.pin(x, "Gather picks channels (or its indices are not constant)")
        return
    y = ctx.define(0, x.axis if x.axis < axis else x.axis - 1 + np.asarray(idx).ndim)
    if y is not None:
        ctx.identity(y, x)
