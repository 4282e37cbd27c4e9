"""Static shapes for analysis: shape inference on a weight-less skeleton, concretized dynamic
inputs, an onnxruntime probe where inference gives up, and which axes follow dynamic input dims."""
from __future__ import annotations

import copy

import onnx
from onnx import numpy_helper, shape_inference

from .errors import ModelLoadError
from .external import is_lazy, read_tensor

DEFAULT_DYNAMIC_DIM = 224
SKELETON_MIN_ELEMENTS = 1024


def skeleton(model: onnx.ModelProto) -> onnx.ModelProto:
    """The model without its large initializers' data: they become typed graph inputs, so shape
    inference sees their shapes without copying gigabytes (small ones, e.g. shape constants, stay)."""
    out = onnx.ModelProto()
    out.CopyFrom(_without_initializers(model))
    declared = {i.name for i in out.graph.input}
    for t in model.graph.initializer:
        if _elements(t) >= SKELETON_MIN_ELEMENTS:
            if t.name not in declared:
                out.graph.input.append(onnx.helper.make_tensor_value_info(t.name, t.data_type, list(t.dims)))
        elif is_lazy(t):
            out.graph.initializer.append(numpy_helper.from_array(read_tensor(t), t.name))
        else:
            out.graph.initializer.append(t)
    if out.ir_version < 4:
        out.ir_version = 4
    return out


def weight_bytes(model: onnx.ModelProto) -> int:
    """Bytes held by the initializers, from their dims (``ByteSize()`` would serialize the model)."""
    return sum(_elements(t) * onnx.helper.tensor_dtype_to_np_dtype(t.data_type).itemsize
               for t in model.graph.initializer)


def _elements(t: onnx.TensorProto) -> int:
    n = 1
    for d in t.dims:
        n *= d
    return n


def _without_initializers(model: onnx.ModelProto) -> onnx.ModelProto:
    graph = onnx.GraphProto()
    for field in ("node", "input", "output", "value_info", "sparse_initializer"):
        getattr(graph, field).extend(getattr(model.graph, field))
    graph.name = model.graph.name
    out = onnx.ModelProto()
    out.ir_version = model.ir_version
    out.opset_import.extend(model.opset_import)
    out.graph.CopyFrom(graph)
    return out


def infer_shapes(model: onnx.ModelProto) -> onnx.ModelProto:
    """Shape inference with data propagation; a copy with value_info filled in."""
    try:
        return shape_inference.infer_shapes(model, check_type=False, strict_mode=False, data_prop=True)
    except Exception as e:
        raise ModelLoadError(f"shape inference failed ({str(e).splitlines()[0]}); run "
                             "onnx.shape_inference on the model to see which node is wrong") from e


def concretize_inputs(model: onnx.ModelProto, overrides: dict[str, tuple[int, ...]] | None = None,
                      default_dim: int = DEFAULT_DYNAMIC_DIM) -> onnx.ModelProto:
    """A copy whose graph inputs have static shapes: batch 1, other dynamic dims ``default_dim``."""
    model = copy.deepcopy(model)
    overrides = overrides or {}
    for inp in model.graph.input:
        dims = inp.type.tensor_type.shape.dim
        if inp.name in overrides:
            want = overrides[inp.name]
            if len(want) != len(dims):
                raise ModelLoadError(f"input {inp.name!r} has rank {len(dims)}, the given shape {want} has "
                                     f"rank {len(want)}; give one size per axis")
            for d, v in zip(dims, want):
                d.dim_value = int(v)
            continue
        for axis, d in enumerate(dims):
            if not d.HasField("dim_value"):
                d.dim_value = 1 if axis == 0 else default_dim
    return model


def tensor_shapes(model: onnx.ModelProto) -> dict[str, tuple]:
    """name -> shape (ints for static dims, str for symbolic, None for unknown) of every typed value."""
    shapes: dict[str, tuple] = {}
    g = model.graph
    for vi in list(g.input) + list(g.value_info) + list(g.output):
        t = vi.type.tensor_type
        if not t.HasField("shape"):
            continue
        shapes[vi.name] = tuple(d.dim_value if d.HasField("dim_value") else (d.dim_param or None)
                                for d in t.shape.dim)
    for init in g.initializer:
        shapes[init.name] = tuple(init.dims)
    return shapes


def tensor_types(model: onnx.ModelProto) -> dict[str, int]:
    """name -> TensorProto element type of every typed value (inputs, value_info, outputs, weights)."""
    g = model.graph
    types = {vi.name: vi.type.tensor_type.elem_type for vi in list(g.input) + list(g.value_info) + list(g.output)}
    types.update({t.name: t.data_type for t in g.initializer})
    return types


def _is_static(shape) -> bool:
    return shape is not None and all(isinstance(d, int) for d in shape)


def _probe(model: onnx.ModelProto, names: list[str], shapes: dict[str, tuple]) -> dict[str, tuple]:
    """Shapes of ``names`` measured by running ``model`` (static inputs) once in onnxruntime.

    Used where shape inference gives up (e.g. Slice bounds computed at run time). Returns {} when
    onnxruntime cannot run the model (custom ops): those tensors then stay unknown and get pinned.
    """
    from .runtime import random_feeds, session
    probe = copy.deepcopy(model)
    probe.graph.output.extend([onnx.helper.make_empty_tensor_value_info(n) for n in names])
    try:
        values = session(probe, optimize=False).run(names, random_feeds(model, shapes))
    except Exception:  # noqa: BLE001 - any failure means "unknown", which handlers pin
        return {}
    return {n: tuple(int(d) for d in v.shape) for n, v in zip(names, values)}


def static_shapes(model: onnx.ModelProto, types: dict[str, int] | None = None) -> dict[str, tuple]:
    """Shapes of every tensor of a model whose inputs are static: inference, then a probe run.
    ``types``, when given, is filled with the inferred element types."""
    inferred = infer_shapes(model)
    if types is not None:
        types.update(tensor_types(inferred))
    shapes = tensor_shapes(inferred)
    missing = [o for n in model.graph.node for o in n.output if o and not _is_static(shapes.get(o))]
    if missing:
        shapes.update(_probe(model, missing, shapes))
    return shapes


def _has_dynamic_inputs(model: onnx.ModelProto) -> bool:
    return any(not d.HasField("dim_value") for i in model.graph.input for d in i.type.tensor_type.shape.dim)


def _bumped(model: onnx.ModelProto, concrete: onnx.ModelProto) -> dict[str, tuple[int, ...]]:
    """Another valid size for every dynamic input dim: batch 2, other dims +32."""
    out = {}
    for orig, conc in zip(model.graph.input, concrete.graph.input):
        dims = []
        for axis, (d, c) in enumerate(zip(orig.type.tensor_type.shape.dim, conc.type.tensor_type.shape.dim)):
            dims.append(c.dim_value if d.HasField("dim_value") else (2 if axis == 0 else c.dim_value + 32))
        out[orig.name] = tuple(dims)
    return out


