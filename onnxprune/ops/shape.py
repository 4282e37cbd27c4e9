"""Ops that read shapes or normalise along an axis.

Shape: reading a tensor's shape is safe when every consumer of the result is a Reshape or Resize
shape input or a Slice bound (those handlers check each channel-count value). Anything else pins
the tensor.
Softmax/LogSoftmax: per-channel when they normalise another axis, else pinned.
"""
from __future__ import annotations

from .registry import register
from .shape_expr import PASS_OPS

SHAPE_OPS = PASS_OPS | {"Gather", "Slice", "Concat", "Add", "Sub", "Mul", "Div"}
SHAPE_SINKS = {("Reshape", 1), ("Resize", 3), ("Slice", 1), ("Slice", 2)}


def _sinks_ok(graph, name: str, depth: int = 0) -> bool:
    for idx, k in graph.consumers.get(name, []):
        node = graph.nodes[idx]
        if (node.op_type, k) in SHAPE_SINKS:
            continue
        if node.op_type in SHAPE_OPS and depth < 16 and all(_sinks_ok(graph, o, depth + 1) for o in node.output):
            continue
        return False
    return name not in graph.graph_outputs


@register("Shape")
def shape(node, ctx):
    x = ctx.input_space(0)
    if _sinks_ok(ctx.graph, node.output[0]):
        ctx.use(x)
    else:
        ctx.pin(x, "its shape is used by an op that does not adapt to a new channel count")


@register("Softmax", "LogSoftmax", "Hardmax")
def softmax(node, ctx):
    x = ctx.input_space(0)
    shape = ctx.shape(node.input[0])
    if x is None or shape is None:
        return
    rank = len(shape)
    axis = ctx.attr("axis", -1 if ctx.opset >= 13 else 1) % rank
    over_channel = axis == x.axis if ctx.opset >= 13 else axis <= x.axis
    if over_channel:
        ctx.pin(x, "normalises over the channel axis")
        return
    y = ctx.define(0, x.axis)
    ctx.identity(y, x)
