"""Torch kernels for ONNX ops, registered next to the analysis handlers (ops.registry).

``kernel(attrs, inputs, opset) -> list of outputs``: ``attrs`` holds the node's attributes as Python
values, ``inputs`` torch tensors (None for absent optional inputs). Inference semantics only
(Dropout is the identity, BatchNormalization uses its running statistics).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ..ops.registry import register_kernel

ONNX_TO_TORCH = {1: torch.float32, 2: torch.uint8, 3: torch.int8, 5: torch.int16, 6: torch.int32,
                 7: torch.int64, 9: torch.bool, 10: torch.float16, 11: torch.float64, 16: torch.bfloat16}


class BridgeError(Exception):
    """The graph uses an op or a mode the torch bridge cannot execute exactly."""


def _ints(a, inputs, index):
    """Integer list from attribute value ``a`` or from input ``index`` (newer opsets)."""
    if a is not None:
        return [int(v) for v in a]
    if index < len(inputs) and inputs[index] is not None:
        return [int(v) for v in inputs[index].reshape(-1).tolist()]
    return None


# -- convolution and pooling ----------------------------------------------------------------------
def _pads(attrs, x, kernel, strides, dilations):
    """ONNX pads [b1..bn, e1..en] resolved from ``auto_pad`` where needed."""
    n = len(kernel)
    auto = attrs.get("auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else auto
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        pads = [0] * (2 * n)
        for i in range(n):
            size = x.shape[2 + i]
            out = math.ceil(size / strides[i])
            total = max(0, (out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - size)
            small, big = total // 2, total - total // 2
            pads[i], pads[i + n] = (small, big) if auto == "SAME_UPPER" else (big, small)
        return pads
    if auto == "VALID":
        return [0] * (2 * n)
    return list(attrs.get("pads", [0] * (2 * n)))


def _pad_input(x, pads, value=0.0):
    n = len(pads) // 2
    if pads[:n] == pads[n:]:
        return x, pads[:n]
    torch_pads = []
    for i in reversed(range(n)):
        torch_pads += [pads[i], pads[i + n]]
    return F.pad(x, torch_pads, value=value), [0] * n


_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
_CONVT = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}


@register_kernel("Conv")
def conv(attrs, inputs, opset):
    x, w = inputs[0], inputs[1]
    b = inputs[2] if len(inputs) > 2 else None
    k = list(attrs.get("kernel_shape", w.shape[2:]))
    strides = list(attrs.get("strides", [1] * len(k)))
    dil = list(attrs.get("dilations", [1] * len(k)))
    x, pad = _pad_input(x, _pads(attrs, x, k, strides, dil))
    return [_CONV[len(k)](x, w, b, strides, pad, dil, attrs.get("group", 1))]


@register_kernel("ConvTranspose")
def conv_transpose(attrs, inputs, opset):
    x, w = inputs[0], inputs[1]
    b = inputs[2] if len(inputs) > 2 else None
    n = w.dim() - 2
    strides = list(attrs.get("strides", [1] * n))
    dil = list(attrs.get("dilations", [1] * n))
    pads = list(attrs.get("pads", [0] * (2 * n)))
    out_pad = list(attrs.get("output_padding", [0] * n))
    if "output_shape" in attrs or attrs.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
        raise BridgeError("ConvTranspose with output_shape/auto_pad is not supported by the bridge")
    y = _CONVT[n](x, w, b, strides, 0, out_pad, attrs.get("group", 1), dil)
    index = [slice(None), slice(None)] + [slice(pads[i], y.shape[2 + i] - pads[i + n]) for i in range(n)]
    return [y[tuple(index)]]


def _pool(attrs, x, fn_max: bool):
    k = list(attrs["kernel_shape"])
    strides = list(attrs.get("strides", [1] * len(k)))
    dil = list(attrs.get("dilations", [1] * len(k)))
    pads = _pads(attrs, x, k, strides, dil)
    ceil = bool(attrs.get("ceil_mode", 0))
    n = len(k)
    if fn_max:
        x, pad = _pad_input(x, pads, value=-math.inf)
        fn = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}[n]
        return fn(x, k, strides, pad, dil, ceil_mode=ceil)
    include = bool(attrs.get("count_include_pad", 0))
    if pads[:n] != pads[n:]:
        if not include:
            raise BridgeError("asymmetric AveragePool padding without count_include_pad")
        x, pad = _pad_input(x, pads)
    else:
        pad = pads[:n]
    fn = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}[n]
    return fn(x, k, strides, pad, ceil_mode=ceil, count_include_pad=include)


@register_kernel("MaxPool")
def max_pool(attrs, inputs, opset):
    return [_pool(attrs, inputs[0], True)]


@register_kernel("AveragePool")
def avg_pool(attrs, inputs, opset):
    return [_pool(attrs, inputs[0], False)]


@register_kernel("GlobalAveragePool")
def gap(attrs, inputs, opset):
    x = inputs[0]
    return [x.mean(dim=tuple(range(2, x.dim())), keepdim=True)]


@register_kernel("GlobalMaxPool")
def gmp(attrs, inputs, opset):
    x = inputs[0]
    return [x.amax(dim=tuple(range(2, x.dim())), keepdim=True)]


# -- normalisation --------------------------------------------------------------------------------
@register_kernel("BatchNormalization")
def batch_norm(attrs, inputs, opset):
    x, scale, bias, mean, var = inputs[:5]
    return [F.batch_norm(x, mean, var, scale, bias, False, 0.0, attrs.get("epsilon", 1e-5))]


@register_kernel("InstanceNormalization")
def instance_norm(attrs, inputs, opset):
    return [F.instance_norm(inputs[0], weight=inputs[1], bias=inputs[2], eps=attrs.get("epsilon", 1e-5))]


@register_kernel("LayerNormalization")
def layer_norm(attrs, inputs, opset):
    x, scale = inputs[0], inputs[1]
    bias = inputs[2] if len(inputs) > 2 else None
    axis = attrs.get("axis", -1) % x.dim()
    dims = tuple(range(axis, x.dim()))
    mean = x.mean(dim=dims, keepdim=True)
    var = ((x - mean) ** 2).mean(dim=dims, keepdim=True)
    y = (x - mean) / torch.sqrt(var + attrs.get("epsilon", 1e-5)) * scale
    return [y if bias is None else y + bias]


@register_kernel("LRN")
def lrn(attrs, inputs, opset):
    return [F.local_response_norm(inputs[0], attrs["size"], attrs.get("alpha", 1e-4), attrs.get("beta", 0.75),
                                  attrs.get("bias", 1.0))]
