"""Torch kernels: element-wise, activation, linear-algebra and reduction ops."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..ops.registry import register_kernel
from .kernels import _ints

_UNARY = {
    "Relu": torch.relu, "Sigmoid": torch.sigmoid, "Tanh": torch.tanh, "Erf": torch.erf,
    "Softplus": F.softplus, "Softsign": F.softsign, "Neg": torch.neg, "Abs": torch.abs, "Exp": torch.exp,
    "Log": torch.log, "Sqrt": torch.sqrt, "Reciprocal": torch.reciprocal, "Floor": torch.floor,
    "Ceil": torch.ceil, "Round": torch.round, "Sign": torch.sign, "Sin": torch.sin, "Cos": torch.cos,
    "HardSwish": F.hardswish, "Mish": lambda x: x * torch.tanh(F.softplus(x)),
    "Identity": lambda x: x,
}


def _unary(name):
    fn = _UNARY[name]
    return lambda attrs, inputs, opset: [fn(inputs[0])]


for _name in _UNARY:
    register_kernel(_name)(_unary(_name))


@register_kernel("Dropout")
def dropout(attrs, inputs, opset):
    return [inputs[0], torch.ones_like(inputs[0], dtype=torch.bool)]


@register_kernel("LeakyRelu")
def leaky_relu(attrs, inputs, opset):
    return [F.leaky_relu(inputs[0], attrs.get("alpha", 0.01))]


@register_kernel("Elu")
def elu(attrs, inputs, opset):
    return [F.elu(inputs[0], attrs.get("alpha", 1.0))]


@register_kernel("Selu")
def selu(attrs, inputs, opset):
    a, g = attrs.get("alpha", 1.67326319217681884765625), attrs.get("gamma", 1.05070102214813232421875)
    x = inputs[0]
    return [g * torch.where(x > 0, x, a * (torch.exp(x) - 1))]


@register_kernel("Celu")
def celu(attrs, inputs, opset):
    return [F.celu(inputs[0], attrs.get("alpha", 1.0))]


@register_kernel("ThresholdedRelu")
def thresholded_relu(attrs, inputs, opset):
    x = inputs[0]
    return [torch.where(x > attrs.get("alpha", 1.0), x, torch.zeros_like(x))]


@register_kernel("Gelu")
def gelu(attrs, inputs, opset):
    approx = attrs.get("approximate", b"none")
    return [F.gelu(inputs[0], approximate=approx.decode() if isinstance(approx, bytes) else approx)]


@register_kernel("HardSigmoid")
def hard_sigmoid(attrs, inputs, opset):
    return [torch.clamp(attrs.get("alpha", 0.2) * inputs[0] + attrs.get("beta", 0.5), 0, 1)]


@register_kernel("Clip")
def clip(attrs, inputs, opset):
    x = inputs[0]
    lo = inputs[1] if len(inputs) > 1 and inputs[1] is not None else attrs.get("min")
    hi = inputs[2] if len(inputs) > 2 and inputs[2] is not None else attrs.get("max")
    if lo is not None:
        x = torch.maximum(x, torch.as_tensor(lo, dtype=x.dtype))
    if hi is not None:
        x = torch.minimum(x, torch.as_tensor(hi, dtype=x.dtype))
    return [x]


@register_kernel("PRelu")
def prelu(attrs, inputs, opset):
    x, slope = inputs
    return [torch.where(x < 0, slope * x, x)]


def _div(a, b):
    if a.is_floating_point():
        return a / b
    return torch.div(a, b, rounding_mode="trunc")


_BINARY = {"Add": torch.add, "Sub": torch.sub, "Mul": torch.mul, "Div": _div, "Pow": torch.pow}


def _binary(name):
    fn = _BINARY[name]
    return lambda attrs, inputs, opset: [fn(inputs[0], inputs[1])]


for _name in _BINARY:
    register_kernel(_name)(_binary(_name))


def _variadic(fn):
    def run(attrs, inputs, opset):
        out = inputs[0]
        for x in inputs[1:]:
            out = fn(out, x)
        return [out]
    return run


register_kernel("Max")(_variadic(torch.maximum))
register_kernel("Min")(_variadic(torch.minimum))
register_kernel("Sum")(_variadic(torch.add))


@register_kernel("Mean")
def mean(attrs, inputs, opset):
    return [_variadic(torch.add)(attrs, inputs, opset)[0] / len(inputs)]


@register_kernel("Gemm")
def gemm(attrs, inputs, opset):
    a, b = inputs[0], inputs[1]
    a = a.t() if attrs.get("transA", 0) else a
    b = b.t() if attrs.get("transB", 0) else b
    y = attrs.get("alpha", 1.0) * (a @ b)
    if len(inputs) > 2 and inputs[2] is not None:
        y = y + attrs.get("beta", 1.0) * inputs[2]
    return [y]


@register_kernel("MatMul")
def matmul(attrs, inputs, opset):
    return [torch.matmul(inputs[0], inputs[1])]


def _softmax(fn):
    def run(attrs, inputs, opset):
        x = inputs[0]
        axis = attrs.get("axis", -1 if opset >= 13 else 1) % x.dim()
        if opset >= 13:
            return [fn(x, dim=axis)]
        flat = x.reshape(int(torch.tensor(x.shape[:axis]).prod()), -1)
        return [fn(flat, dim=1).reshape(x.shape)]
    return run


register_kernel("Softmax")(_softmax(torch.softmax))
register_kernel("LogSoftmax")(_softmax(torch.log_softmax))

_REDUCE = {"ReduceMean": torch.mean, "ReduceSum": torch.sum, "ReduceMax": torch.amax, "ReduceMin": torch.amin,
           "ReduceProd": None, "ReduceL2": None, "ReduceL1": None, "ReduceSumSquare": None}


def _reduce(name):
    def run(attrs, inputs, opset):
        x = inputs[0]
        axes = _ints(attrs.get("axes"), inputs, 1)
        if not axes:
            if attrs.get("noop_with_empty_axes", 0):
                return [x]
            axes = list(range(x.dim()))
        dims = tuple(a % x.dim() for a in axes)
        keep = bool(attrs.get("keepdims", 1))
        if name == "ReduceL2":
            return [torch.sqrt((x * x).sum(dim=dims, keepdim=keep))]
        if name == "ReduceL1":
            return [x.abs().sum(dim=dims, keepdim=keep)]
        if name == "ReduceSumSquare":
            return [(x * x).sum(dim=dims, keepdim=keep)]
        if name == "ReduceProd":
            out = x
            for d in sorted(dims, reverse=True):
                out = out.prod(dim=d, keepdim=keep)
            return [out]
        return [_REDUCE[name](x, dim=dims, keepdim=keep)]
    return run


for _name in _REDUCE:
    register_kernel(_name)(_reduce(_name))
