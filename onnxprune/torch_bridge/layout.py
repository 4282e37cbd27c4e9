"""Torch kernels: shape, layout and resampling ops."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from onnx import numpy_helper

from ..ops.registry import register_kernel
from .kernels import ONNX_TO_TORCH, BridgeError, _ints


def _attr_str(attrs, name, default):
    v = attrs.get(name, default)
    return v.decode() if isinstance(v, bytes) else v


@register_kernel("Concat")
def concat(attrs, inputs, opset):
    return [torch.cat([x for x in inputs if x is not None], dim=attrs["axis"])]


@register_kernel("Split")
def split(attrs, inputs, opset):
    x, axis = inputs[0], attrs.get("axis", 0)
    sizes = _ints(attrs.get("split"), inputs, 1)
    if not sizes:
        n = attrs.get("num_outputs") or attrs["_n_outputs"]
        chunk = -(-x.shape[axis] // n)
        sizes = [min(chunk, x.shape[axis] - k * chunk) for k in range(n)]
    return list(torch.split(x, sizes, dim=axis))


@register_kernel("Slice")
def slice_(attrs, inputs, opset):
    x = inputs[0]
    if opset < 10:
        starts, ends, axes, steps = attrs["starts"], attrs["ends"], attrs.get("axes"), None
    else:
        starts, ends = _ints(None, inputs, 1), _ints(None, inputs, 2)
        axes, steps = _ints(None, inputs, 3), _ints(None, inputs, 4)
    axes = list(range(len(starts))) if axes is None else axes
    steps = [1] * len(starts) if steps is None else steps
    index = [slice(None)] * x.dim()
    flips = []
    for s, e, a, st in zip(starts, ends, axes, steps):
        a %= x.dim()
        size = x.shape[a]
        lo, hi, _ = slice(s, e, st).indices(size)
        if st > 0:
            index[a] = slice(lo, hi, st)
        else:       # torch has no negative steps: take the range, then flip
            count = len(range(lo, hi, st))
            first = lo + (count - 1) * st if count else 0
            index[a] = slice(first, first + (count - 1) * -st + 1 if count else 0, -st)
            flips.append(a)
    y = x[tuple(index)]
    return [torch.flip(y, flips) if flips else y]


@register_kernel("Transpose")
def transpose(attrs, inputs, opset):
    x = inputs[0]
    return [x.permute(*(attrs.get("perm") or list(reversed(range(x.dim())))))]


@register_kernel("Squeeze")
def squeeze(attrs, inputs, opset):
    x = inputs[0]
    axes = _ints(attrs.get("axes"), inputs, 1)
    if not axes:
        return [x.squeeze()]
    for a in sorted((a % x.dim() for a in axes), reverse=True):
        x = x.squeeze(a)
    return [x]


@register_kernel("Unsqueeze")
def unsqueeze(attrs, inputs, opset):
    x = inputs[0]
    axes = _ints(attrs.get("axes"), inputs, 1)
    rank = x.dim() + len(axes)
    for a in sorted(a % rank for a in axes):
        x = x.unsqueeze(a)
    return [x]


@register_kernel("Flatten")
def flatten(attrs, inputs, opset):
    x = inputs[0]
    axis = attrs.get("axis", 1) % max(x.dim(), 1)
    return [x.reshape(int(np.prod(x.shape[:axis])), -1)]


@register_kernel("Reshape")
def reshape(attrs, inputs, opset):
    x = inputs[0]
    shape = [int(v) for v in inputs[1].tolist()]
    if not attrs.get("allowzero", 0):
        shape = [x.shape[i] if v == 0 else v for i, v in enumerate(shape)]
    return [x.reshape(shape)]


@register_kernel("Gather")
def gather(attrs, inputs, opset):
    x, idx = inputs
    axis = attrs.get("axis", 0) % x.dim()
    idx = torch.where(idx < 0, idx + x.shape[axis], idx).long()
    out = torch.index_select(x, axis, idx.reshape(-1))
    return [out.reshape(x.shape[:axis] + idx.shape + x.shape[axis + 1:])]


@register_kernel("Shape")
def shape(attrs, inputs, opset):
    dims = list(inputs[0].shape)
    start, end = attrs.get("start", 0), attrs.get("end", len(dims))
    return [torch.tensor(dims[start:end], dtype=torch.int64)]


@register_kernel("Constant")
def constant(attrs, inputs, opset):
    for key, convert in (("value", lambda v: numpy_helper.to_array(v)), ("value_float", np.float32),
                         ("value_floats", lambda v: np.array(v, np.float32)), ("value_int", np.int64),
                         ("value_ints", lambda v: np.array(v, np.int64))):
        if key in attrs:
            return [torch.from_numpy(np.array(convert(attrs[key])))]
    raise BridgeError("Constant without a supported value attribute")


@register_kernel("ConstantOfShape")
def constant_of_shape(attrs, inputs, opset):
    value = numpy_helper.to_array(attrs["value"]).reshape(-1) if "value" in attrs else np.zeros(1, np.float32)
    return [torch.full([int(v) for v in inputs[0].tolist()], value[0].item(),
                       dtype=torch.from_numpy(value).dtype)]


@register_kernel("Cast")
def cast(attrs, inputs, opset):
    return [inputs[0].to(ONNX_TO_TORCH[attrs["to"]])]


@register_kernel("Expand")
def expand(attrs, inputs, opset):
    x, shape = inputs
    return [torch.broadcast_to(x, torch.broadcast_shapes(x.shape, tuple(int(v) for v in shape.tolist())))]


@register_kernel("Pad")
def pad(attrs, inputs, opset):
    x = inputs[0]
    pads = _ints(attrs.get("pads"), inputs, 1)
    value = attrs.get("value", 0.0) if opset < 11 else (
        inputs[2].item() if len(inputs) > 2 and inputs[2] is not None else 0.0)
    axes = _ints(None, inputs, 3) if opset >= 18 else None
    axes = list(range(x.dim())) if not axes else [a % x.dim() for a in axes]
    n = len(axes)
    full = [0] * (2 * x.dim())
    for k, a in enumerate(axes):
        full[a], full[a + x.dim()] = pads[k], pads[k + n]
    torch_pads = []
    for a in reversed(range(x.dim())):
        torch_pads += [full[a], full[a + x.dim()]]
    mode = {"constant": "constant", "reflect": "reflect", "edge": "replicate"}[_attr_str(attrs, "mode", "constant")]
    if mode != "constant":
        lead = 2 * (x.dim() - 2)
        if any(torch_pads[lead:]):
            raise BridgeError("non-constant Pad on the batch or channel axis")
        return [F.pad(x, torch_pads[:lead], mode=mode)]
    return [F.pad(x, torch_pads, value=value)]


@register_kernel("DepthToSpace")
def depth_to_space(attrs, inputs, opset):
    x, b = inputs[0], attrs["blocksize"]
    n, c, h, w = x.shape
    if _attr_str(attrs, "mode", "DCR") == "CRD":
        return [F.pixel_shuffle(x, b)]
    y = x.reshape(n, b, b, c // (b * b), h, w).permute(0, 3, 4, 1, 5, 2)
    return [y.reshape(n, c // (b * b), h * b, w * b)]


def _resize_sizes(x, scales, sizes):
    if sizes is not None and sizes.numel():
        return [int(v) for v in sizes.tolist()]
    return [int(np.floor(d * float(s))) for d, s in zip(x.shape, scales.tolist())]


@register_kernel("Resize", "Upsample")
def resize(attrs, inputs, opset):
    x = inputs[0]
    if opset < 11 or len(inputs) == 2:          # Upsample / Resize-10: (X, scales)
        scales, sizes = inputs[1], None
    else:
        scales = inputs[2] if len(inputs) > 2 else None
        sizes = inputs[3] if len(inputs) > 3 else None
    out = _resize_sizes(x, scales, sizes)
    if out[:2] != list(x.shape[:2]):
        raise BridgeError("Resize of the batch or channel axis")
    mode = _attr_str(attrs, "mode", "nearest")
    ctm = _attr_str(attrs, "coordinate_transformation_mode", "half_pixel" if opset >= 11 else "asymmetric")
    if mode == "nearest":
        near = _attr_str(attrs, "nearest_mode", "round_prefer_floor")
        if ctm == "asymmetric" and (near == "floor" or opset < 11):
            return [F.interpolate(x, size=out[2:], mode="nearest")]
        if ctm in ("half_pixel", "pytorch_half_pixel") and near in ("round_prefer_ceil", "round_prefer_floor"):
            return [F.interpolate(x, size=out[2:], mode="nearest-exact")]
        raise BridgeError(f"Resize nearest with {ctm}/{near} is not supported by the bridge")
    if mode == "linear" and x.dim() == 4:
        if ctm in ("half_pixel", "pytorch_half_pixel", "align_corners"):
            return [F.interpolate(x, size=out[2:], mode="bilinear", align_corners=ctm == "align_corners")]
    raise BridgeError(f"Resize {mode}/{ctm} is not supported by the bridge")
