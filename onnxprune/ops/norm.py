"""Per-channel normalisation: BatchNormalization and InstanceNormalization.

    X [N,C,*] --BN(scale, B, mean, var: [C])--> Y      Y_i <- X_i; the four [C] vectors are sliced.
"""
from __future__ import annotations

from .registry import register

_BN_KINDS = ("scale", "bias", "stat", "stat")


@register("BatchNormalization")
def batch_norm(node, ctx):
    x = ctx.input_space(0)
    if x is None:
        return
    if x.axis != 1 or len([o for o in node.output if o]) > 1:
        ctx.pin(x, "training-mode BatchNormalization or channel axis is not 1")
        return
    y = ctx.define(0, 1)
    ctx.identity(y, x)
    for i, kind in enumerate(_BN_KINDS, start=1):
        ctx.slice(i, 0, y, "per_channel", kind)


@register("InstanceNormalization")
def instance_norm(node, ctx):
    x = ctx.input_space(0)
    if x is None:
        return
    if x.axis != 1:
        ctx.pin(x, "channel axis is not 1")
        return
    y = ctx.define(0, 1)
    ctx.identity(y, x)
    ctx.slice(1, 0, y, "per_channel", "scale")
    ctx.slice(2, 0, y, "per_channel", "bias")


@register("LayerNormalization", since=17)
def layer_norm(node, ctx):
    """Normalisation over axes [axis, rank). Over the channel axis, every channel's output depends on
    all the others' statistics, so removing one is not exact: the channels stay pinned (ConvNeXt
    still prunes its MLP hidden width). Over other axes, channels pass through."""
    x, shape = ctx.input_space(0), ctx.shape(node.input[0])
    if x is None or shape is None:
        return
    first = int(ctx.attr("axis", -1)) % len(shape)
    y = ctx.define(0, x.axis)
    if x.axis >= first or any(o for o in node.output[1:]):
        why = "LayerNormalization normalises over the channels (statistics change if one goes)"
        ctx.pin(x, why)
        ctx.pin(y, why)
        return
    ctx.identity(y, x)
