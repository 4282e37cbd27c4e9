"""Values of tensors computed only from constants (exporters build weights this way: paddle2onnx
reshapes biases, caffe2 models Unsqueeze per-channel scales, "light" models use ConstantOfShape).

:func:`fold` evaluates one node whose inputs are all known, for a small set of shape-and-arithmetic
ops; anything else returns None (the tensor is then treated as an activation, which is safe).
"""
from __future__ import annotations

import numpy as np
import onnx
from onnx import helper, numpy_helper

MAX_ELEMENTS = 50_000_000


def _attr(node: onnx.NodeProto, name: str, default=None):
    for a in node.attribute:
        if a.name == name:
            return helper.get_attribute_value(a)
    return default


def _axes(node, inputs, rank_hint: int | None = None):
    axes = _attr(node, "axes")
    if axes is None and len(inputs) > 1 and inputs[1] is not None:
        axes = inputs[1].reshape(-1).tolist()
    return axes


def _unsqueeze(node, x):
    out = x[0]
    axes = _axes(node, x)
    rank = out.ndim + len(axes)
    for a in sorted(int(a) % rank for a in axes):
        out = np.expand_dims(out, a)
    return out


def _squeeze(node, x):
    axes = _axes(node, x)
    return np.squeeze(x[0]) if axes is None else np.squeeze(x[0], axis=tuple(int(a) for a in axes))


def _reshape(node, x):
    shape = x[1].reshape(-1).astype(np.int64).copy()
    if not _attr(node, "allowzero", 0):
        shape[shape == 0] = np.array(x[0].shape)[np.nonzero(shape == 0)[0]]
    return x[0].reshape(shape)


def _cast(node, x):
    return x[0].astype(helper.tensor_dtype_to_np_dtype(_attr(node, "to")))


def _transpose(node, x):
    return np.transpose(x[0], _attr(node, "perm"))


def _concat(node, x):
    return np.concatenate(x, axis=_attr(node, "axis"))


def _flatten(node, x):
    axis = _attr(node, "axis", 1) % max(x[0].ndim, 1)
    return x[0].reshape(int(np.prod(x[0].shape[:axis])), -1)


_BINARY = {"Mul": np.multiply, "Add": np.add, "Sub": np.subtract, "Div": np.divide}
_UNARY = {"Neg": np.negative, "Sqrt": np.sqrt, "Reciprocal": np.reciprocal, "Identity": lambda v: v}
_OPS = {"Unsqueeze": _unsqueeze, "Squeeze": _squeeze, "Reshape": _reshape, "Cast": _cast,
        "Transpose": _transpose, "Concat": _concat, "Flatten": _flatten}
FOLDABLE = set(_OPS) | set(_BINARY) | set(_UNARY)


def fold(node: onnx.NodeProto, inputs: list[np.ndarray | None]) -> np.ndarray | None:
    """The single output of ``node`` given constant ``inputs`` (None entries are absent inputs)."""
    if node.op_type not in FOLDABLE or len(node.output) != 1 or inputs[0] is None:
        return None
    try:
        if node.op_type in _BINARY:
            if any(v is None for v in inputs) or len(inputs) != 2:
                return None
            out = _BINARY[node.op_type](inputs[0], inputs[1])
            if np.issubdtype(inputs[0].dtype, np.integer) and node.op_type == "Div":
                out = inputs[0] // inputs[1]
            out = out.astype(inputs[0].dtype)
        elif node.op_type in _UNARY:
            out = _UNARY[node.op_type](inputs[0])
        else:
            out = _OPS[node.op_type](node, inputs)
    except (ValueError, TypeError, IndexError):
        return None
    return out if out.size <= MAX_ELEMENTS else None


def constant_of_shape(shape: np.ndarray | None, node: onnx.NodeProto) -> np.ndarray | None:
    """The value of ConstantOfShape with a constant shape (weights in "light" models)."""
    if shape is None:
        return None
    fill = np.zeros(1, dtype=np.float32)
    value = _attr(node, "value")
    if value is not None:
        fill = numpy_helper.to_array(value).reshape(-1)
    return np.full(tuple(int(d) for d in shape.reshape(-1)), fill[0], dtype=fill.dtype)
