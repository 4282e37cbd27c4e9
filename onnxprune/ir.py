"""Load, index and save ONNX models.

The rest of onnxprune works on :class:`Graph`: the model plus name-keyed indexes (producer, consumers,
constants, shapes). Everything is keyed by tensor name, never by proto object identity.
"""
from __future__ import annotations

import copy
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

from .constfold import FOLDABLE, constant_of_shape, fold
from .shapes import _bumped, _has_dynamic_inputs, concretize_inputs, skeleton, static_shapes, weight_bytes
from .errors import ModelLoadError, OutputPathError, UnsupportedModelError
from .external import attach, needs_streaming, read_tensor, write_with_external_data

MIN_OPSET = 9
MAX_OPSET = onnx.defs.onnx_opset_version()
QUANTIZED_OPS = {"QLinearConv", "ConvInteger", "MatMulInteger", "QLinearMatMul", "DequantizeLinear",
                 "QuantizeLinear", "DynamicQuantizeLinear", "QLinearAdd", "QLinearMul"}
_TWO_GB = 2**31 - 1
CACHE_MAX_ELEMENTS = 1 << 20
CHECK_IN_MEMORY_BYTES = 1 << 28


def load_model(source: str | os.PathLike | onnx.ModelProto) -> onnx.ModelProto:
    """Read a model from a path (external data included) or copy a ``ModelProto``.

    The caller's proto is never modified. Raises :class:`ModelLoadError` with a one-line reason.
    """
    if isinstance(source, onnx.ModelProto):
        return copy.deepcopy(source)
    path = Path(source)
    if not path.exists():
        raise ModelLoadError(f"{path}: no such file; check the path")
    if path.is_dir():
        raise ModelLoadError(f"{path} is a directory; give the path of a .onnx file")
    if path.stat().st_size == 0:
        raise ModelLoadError(f"{path} is empty; re-export the model")
    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as e:  # protobuf raises several unrelated types on garbage
        raise ModelLoadError(f"{path} is not an ONNX model ({type(e).__name__}); re-export it") from e
    if not model.HasField("graph") or not model.graph.node:
        raise ModelLoadError(f"{path} parses but holds no graph; is it really an ONNX model?")
    try:
        attach(model, path.parent)
    except ModelLoadError as e:
        raise ModelLoadError(f"{path}: {e}") from e
    return model


def check_model(model: onnx.ModelProto, where: str = "model") -> None:
    """Run the ONNX checker and refuse what onnxprune cannot prune (opset range, quantized ops).
    Large models are checked without their weights' data (no in-memory copy of gigabytes)."""
    opset = default_opset(model)
    if opset < MIN_OPSET or opset > MAX_OPSET:
        raise UnsupportedModelError(
            f"{where} uses opset {opset}; onnxprune supports {MIN_OPSET}..{MAX_OPSET}: convert it with "
            "onnx.version_converter first")
    quant = sorted({n.op_type for n in model.graph.node if n.op_type in QUANTIZED_OPS})
    if quant:
        raise UnsupportedModelError(
            f"{where} is quantized ({', '.join(quant)}); prune the float model, then quantize it")
    try:
        small = weight_bytes(model) < CHECK_IN_MEMORY_BYTES and not needs_streaming(model)
        onnx.checker.check_model(model if small else skeleton(model))
    except onnx.checker.ValidationError as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ModelLoadError(f"{where} fails the ONNX checker: {first}; fix or re-export the model") from e


def default_opset(model: onnx.ModelProto) -> int:
    for imp in model.opset_import:
        if imp.domain in ("", "ai.onnx"):
            return imp.version
    return 0


def name_nodes(model: onnx.ModelProto) -> None:
    """Give every unnamed node a unique name (existing names are kept); reject duplicate outputs."""
    seen_names, seen_outputs = set(), set(i.name for i in model.graph.input)
    seen_outputs |= {i.name for i in model.graph.initializer}
    for i, node in enumerate(model.graph.node):
        if not node.name or node.name in seen_names:
            base = node.name or f"{node.op_type}_{i}"
            name, k = base, 0
            while name in seen_names:
                k += 1
                name = f"{base}_{k}"
            node.name = name
        seen_names.add(node.name)
        for out in node.output:
            if out and out in seen_outputs:
                raise ModelLoadError(f"tensor {out!r} is produced twice (node {node.name}); the model is "
                                     "not valid SSA: re-export it")
            seen_outputs.add(out)


_FLOAT_TYPES = {onnx.TensorProto.FLOAT, onnx.TensorProto.DOUBLE, onnx.TensorProto.FLOAT16,
                onnx.TensorProto.BFLOAT16}


def save_model(model: onnx.ModelProto, path: str | os.PathLike, *, input_path: str | os.PathLike | None = None) -> None:
    """Write atomically: a temp file beside ``path`` renamed over it; external data when > 2 GB.

    Never writes over ``input_path``. On any failure no file is left at ``path``.
    """
    path = Path(path)
    if input_path is not None and Path(input_path).resolve() == path.resolve():
        raise OutputPathError(f"{path} is the input file; choose a different output path")
    if not path.parent.exists():
        raise OutputPathError(f"directory {path.parent} does not exist; create it first")
    if path.is_dir():
        raise OutputPathError(f"{path} is a directory; give a file name ending in .onnx")
    if not os.access(path.parent, os.W_OK):
        raise OutputPathError(f"directory {path.parent} is not writable; choose another output path")
    large = weight_bytes(model) >= _TWO_GB or needs_streaming(model)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as e:
        raise OutputPathError(f"cannot write in {path.parent} ({e.strerror}); choose another output "
                              "path") from e
    os.close(fd)
    try:
        if large:
            write_with_external_data(model, Path(tmp), Path(tmp + ".data"), location=f"{path.name}.data")
            os.replace(tmp + ".data", path.parent / f"{path.name}.data")
        else:
            onnx.save_model(model, tmp)
        os.chmod(tmp, _default_mode())      # mkstemp makes 0600 files; a saved model is an ordinary file
        os.replace(tmp, path)
    except OSError as e:
        _remove(tmp)
        _remove(tmp + ".data")
        raise OutputPathError(f"writing {path} failed ({e.strerror}); check free space and "
                              "permissions") from e
    except BaseException:
        _remove(tmp)
        _remove(tmp + ".data")
        raise


def _default_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _remove(tmp: str) -> None:
    if os.path.exists(tmp):
        os.unlink(tmp)


@dataclass
class Graph:
    """A model with name-keyed indexes. ``nodes`` are topologically sorted (as ONNX requires)."""

    model: onnx.ModelProto
    shapes: dict[str, tuple]          # static shapes used for analysis (inputs concretized)
    dynamic: dict[str, set[int]]      # axes whose size follows the dynamic input dims
    producer: dict[str, int]
    consumers: dict[str, list[tuple[int, int]]]
    initializers: dict[str, onnx.TensorProto]
    types: dict[str, int] = field(default_factory=dict)
    _consts: dict[str, np.ndarray | None] = field(default_factory=dict, repr=False)

    @property
    def nodes(self):
        return self.model.graph.node

    @property
    def graph_inputs(self) -> list[str]:
        return [i.name for i in self.model.graph.input if i.name not in self.initializers]

    @property
    def graph_outputs(self) -> list[str]:
        return [o.name for o in self.model.graph.output]

    def is_float(self, name: str) -> bool:
        """True unless the tensor is known to hold integers or booleans (shape arithmetic)."""
        return self.types.get(name, onnx.TensorProto.FLOAT) in _FLOAT_TYPES

    def is_const(self, name: str) -> bool:
        """Whether a tensor is a constant, without reading large initializers."""
        return bool(name) and (name in self.initializers or self.const_value(name) is not None)

    def const_value(self, name: str) -> np.ndarray | None:
        """Value of a tensor computed from constants only (initializer, Constant node, or a fold of
        those); None for activations. Cached; callers must not modify the returned array."""
        if not name:
            return None
        if name in self._consts:
            return self._consts[name]
        value = self._compute_const(name)
        if value is None or value.size <= CACHE_MAX_ELEMENTS:    # big weights: re-read, never held twice
            self._consts[name] = value
        return value

    def _compute_const(self, name: str) -> np.ndarray | None:
        if name in self.initializers:
            return read_tensor(self.initializers[name])
        idx = self.producer.get(name)
        if idx is None:
            return None
        node = self.nodes[idx]
        if node.op_type == "Constant":
            return _constant_node_value(node)
        if node.op_type == "ConstantOfShape":
            return constant_of_shape(self.const_value(node.input[0]), node)
        if node.op_type not in FOLDABLE:
            return None
        inputs = [self.const_value(i) if i else None for i in node.input]
        if any(v is None for v, i in zip(inputs, node.input) if i):
            return None
        return fold(node, inputs)


def _constant_node_value(node: onnx.NodeProto) -> np.ndarray | None:
    for attr in node.attribute:
        if attr.name == "value":
            return numpy_helper.to_array(attr.t)
        if attr.name == "value_float":
            return np.array(attr.f, dtype=np.float32)
        if attr.name == "value_floats":
            return np.array(list(attr.floats), dtype=np.float32)
        if attr.name == "value_int":
            return np.array(attr.i, dtype=np.int64)
        if attr.name == "value_ints":
            return np.array(list(attr.ints), dtype=np.int64)
    return None


def subgraph_inputs(node: onnx.NodeProto) -> list[str]:
    """Outer-scope tensor names that a node's subgraphs (If/Loop/Scan bodies) read."""
    names: list[str] = []
    for attr in node.attribute:
        graphs = [attr.g] if attr.type == onnx.AttributeProto.GRAPH else list(attr.graphs)
        for g in graphs:
            local = {i.name for i in g.input} | {i.name for i in g.initializer}
            for n in g.node:
                local |= set(n.output)
            for n in g.node:
                names += [i for i in list(n.input) + subgraph_inputs(n) if i and i not in local]
            names += [o.name for o in g.output if o.name not in local]
    return names


def build_graph(model: onnx.ModelProto, input_shapes: dict[str, tuple[int, ...]] | None = None) -> Graph:
    """Index a checked model: unique node names, static shapes, dynamic axes, producer/consumer maps.

    A tensor axis is *dynamic* when its size changes with the sizes of dynamic graph inputs (found by
    comparing two concretizations); handlers never prune a dynamic channel axis.
    """
    name_nodes(model)
    bare = skeleton(model)
    concrete = concretize_inputs(bare, input_shapes)
    types: dict[str, int] = {}
    shapes = static_shapes(concrete, types)
    dynamic: dict[str, set[int]] = {}
    if _has_dynamic_inputs(bare):
        other = static_shapes(concretize_inputs(bare, _bumped(bare, concrete)))
        for name, shape in shapes.items():
            alt = other.get(name)
            if alt is not None and len(alt) == len(shape):
                axes = {i for i, (x, y) in enumerate(zip(shape, alt)) if x != y}
                if axes:
                    dynamic[name] = axes
    producer, consumers = {}, {}
    for i, node in enumerate(model.graph.node):
        for out in node.output:
            if out:
                producer[out] = i
        for k, name in enumerate(list(node.input) + subgraph_inputs(node)):
            if name:
                consumers.setdefault(name, []).append((i, k))
    inits = {t.name: t for t in model.graph.initializer}
    return Graph(model, shapes, dynamic, producer, consumers, inits, types)
