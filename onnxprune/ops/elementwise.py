"""Element-wise ops: channel i of the output is made from channel i of each full-width input.

    x [N,C,H,W] --Relu--> y [N,C,H,W]            y_i <- x_i
    a [N,C,H,W] + b [N,C,H,W] --> y              y_i <- a_i, b_i        (residual Add/Sum/Mul...)
    x [N,C,H,W] * s [N,C,1,1] --> y              y_i <- x_i, s_i        (SE gate)
    x [N,C,H,W] + k [C,1,1] (constant)           k is sliced with the channel
    x [N,C,H,W] * m [N,1,H,W] (activation)       m broadcasts over channels: m is pinned
"""
from __future__ import annotations

from .registry import register

UNARY = ("Relu", "LeakyRelu", "Clip", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Elu", "Selu",
         "Softplus", "Softsign", "Mish", "Erf", "Gelu", "Celu", "ThresholdedRelu", "Identity", "Dropout",
         "Cast", "Neg", "Abs", "Exp", "Log", "Sqrt", "Reciprocal", "Floor", "Ceil", "Round", "Sign",
         "Sin", "Cos")
VARIADIC = ("Add", "Sub", "Mul", "Div", "Max", "Min", "Sum", "Mean", "Pow")


@register(*UNARY)
def unary(node, ctx):
    """Output(s) follow input 0 channel for channel; Clip's min/max and Dropout's ratio are scalars."""
    x = ctx.input_space(0)
    if x is None:
        return
    for k in range(len(node.output)):
        y = ctx.define(k, x.axis)
        if y is not None:
            ctx.identity(y, x)
    for i in range(1, len(node.input)):
        s = ctx.input_space(i)
        if s is not None:
            shape = ctx.shape(node.input[i])
            if shape is not None and all(d == 1 for d in shape):      # scalars and [1]-shaped
                ctx.use(s)
            else:
                ctx.pin(s, "a non-scalar parameter input")


@register("PRelu")
def prelu(node, ctx):
    """PRelu slope: per-channel ([C,1,1]) slopes are sliced with the channel; shared slopes stay."""
    _broadcast(node, ctx)


@register(*VARIADIC)
def variadic(node, ctx):
    _broadcast(node, ctx)


def _channel_axis(node, ctx, out_rank: int):
    """Output channel axis implied by the activation inputs, or None when they disagree."""
    axes = set()
    for i, name in enumerate(node.input):
        s = ctx.input_space(i)
        shape = ctx.shape(name)
        if s is not None and shape is not None and shape[s.axis] != 1:
            axes.add(s.axis + out_rank - len(shape))
    return axes.pop() if len(axes) == 1 else None


def _broadcast(node, ctx):
    out_shape = ctx.shape(node.output[0])
    if out_shape is None:
        return
    rank = len(out_shape)
    axis = _channel_axis(node, ctx, rank)
    y = ctx.define(0, axis) if axis is not None else None
    for i, name in enumerate(node.input):
        _declare_operand(ctx, i, name, y, rank)


def _declare_operand(ctx, i: int, name: str, y, rank: int) -> None:
    """Couple, slice or pin one operand against the output space ``y``."""
    shape, s = ctx.shape(name), ctx.input_space(i)
    if y is None:
        ctx.pin(s, "inputs broadcast in a way the channel axis cannot be followed")
        return
    if shape is None:
        ctx.pin(s, f"shape of {name!r} is unknown")
        ctx.pin(y, f"shape of {name!r} is unknown")
        return
    local = y.axis - (rank - len(shape))
    full = 0 <= local < len(shape) and shape[local] == y.size and y.size > 1
    if s is not None:
        if full and s.axis == local:
            ctx.identity(y, s)
        elif full:
            ctx.pin(s, f"{name!r} carries the channels on another axis")
            ctx.pin(y, f"{name!r} carries the channels on another axis")
        else:
            ctx.pin(s, f"{name!r} broadcasts over the {y.size} channels")
    elif ctx.graph.const_value(name) is not None:
        if full:
            ctx.slice(i, local, y, "per_channel", "scale")
    elif full:
        ctx.pin(y, f"{name!r} has channels that are not tracked")
