"""Apply a plan: slice weights, fix attributes and shape constants, re-infer shapes.

The input model is never modified; the result is a new ``ModelProto`` with the same IR version,
opsets, metadata, node names, graph inputs and outputs.
"""
from __future__ import annotations

import numpy as np
import onnx

from .analysis import Analysis
from .errors import RewriteError
from .ir import default_opset
from .ops.registry import lookup
from .plan import Plan
from .external import is_lazy, read_selected
from .shapes import skeleton
from .weights import WeightWriter, remove_dead, shell_copy


def removed_channels(a: Analysis, removed_components: np.ndarray) -> list[np.ndarray]:
    """Per space: sorted indices of the channels that go."""
    mask = np.isin(a.component, removed_components)
    return [np.nonzero(mask[s.base:s.base + s.size])[0] for s in a.spaces]


class Rewriter:
    """The object handler rewrite hooks receive (``rw``)."""

    def __init__(self, a: Analysis, model: onnx.ModelProto, removed: list[np.ndarray]):
        self.a, self.model = a, model
        self.opset = default_opset(model)
        self.writer = WeightWriter(a.graph, model)
        self._kept = {s.id: np.setdiff1d(np.arange(s.size), r) for s, r in zip(a.spaces, removed)}

    def kept(self, tensor: str) -> np.ndarray:
        s = self.a.space_of(tensor)
        if s is None:
            shape = self.a.graph.shapes.get(tensor)
            raise RewriteError(f"tensor {tensor!r} has no channel space (shape {shape}); handler bug")
        return self._kept[s.id]

    def space_axis(self, tensor: str) -> int:
        return self.a.space_of(tensor).axis

    def notes(self, node) -> dict:
        return self.a.notes.get(node.name, {})

    def const(self, name: str) -> np.ndarray:
        return self.a.graph.const_value(name)

    def has_attr(self, node, name: str) -> bool:
        return any(at.name == name for at in node.attribute)

    def set_attr(self, node, name: str, value) -> None:
        self.remove_attr(node, name)
        node.attribute.append(onnx.helper.make_attribute(name, value))

    def remove_attr(self, node, name: str) -> None:
        keep = [at for at in node.attribute if at.name != name]
        del node.attribute[:]
        node.attribute.extend(keep)

    def replace_input(self, node, index: int, value: np.ndarray) -> None:
        """Point input ``index`` of ``node`` at a new initializer holding ``value``."""
        base = node.input[index] if index < len(node.input) and node.input[index] else f"{node.name}_input{index}"
        name = self.writer.add_initializer(f"{base}__{node.name}", np.asarray(value))
        while len(node.input) <= index:
            node.input.append("")
        node.input[index] = name


def _slice_uses(a: Analysis, rw: Rewriter, node_index: dict[str, int]) -> None:
    by_use: dict[tuple[int, int], list] = {}
    for sl in a.slices:
        by_use.setdefault((node_index[sl.node], sl.input_index), []).append(sl)
    for (idx, k), slices in by_use.items():
        picks = [(sl.axis, sl.channels(rw._kept[sl.space])) for sl in slices]
        rw.writer.set(idx, k, _selected(a, slices[0].tensor, picks))


def _selected(a: Analysis, name: str, picks: list[tuple[int, np.ndarray]]) -> np.ndarray:
    """The weight with only the kept indices; weights still on disk are read slab by slab."""
    init = a.graph.initializers.get(name)
    if init is not None and is_lazy(init):
        return read_selected(init, picks)
    value = a.graph.const_value(name)
    for axis, kept in picks:
        value = np.take(value, kept, axis=axis)
    return value


def _node_hooks(rw: Rewriter) -> None:
    opset = rw.opset
    for node in rw.model.graph.node:
        handler = lookup(node.op_type, node.domain, opset)
        if handler is not None and handler.rewrite is not None:
            handler.rewrite(node, rw)


def rewrite(a: Analysis, plan: Plan) -> onnx.ModelProto:
    """A new model with the plan's channels removed; shapes re-inferred with strict checking."""
    model = shell_copy(a.graph.model)
    rw = Rewriter(a, model, removed_channels(a, plan.removed))
    node_index = {n.name: i for i, n in enumerate(a.graph.nodes)}
    _slice_uses(a, rw, node_index)
    _node_hooks(rw)
    rw.writer.install()
    remove_dead(model)
    del model.graph.value_info[:]
    _check_shapes(model)
    return model


def _check_shapes(model: onnx.ModelProto) -> None:
    """Strict shape inference on the weight-less skeleton; fills the model's value_info."""
    try:
        inferred = onnx.shape_inference.infer_shapes(skeleton(model), check_type=True, strict_mode=True,
                                                     data_prop=True)
    except Exception as e:
        raise RewriteError(f"the rewritten model fails shape inference ({str(e).splitlines()[0]}); "
                           "this is a handler bug: please report it with the model") from e
    outputs = {o.name for o in model.graph.output}
    model.graph.value_info.extend(vi for vi in inferred.graph.value_info if vi.name not in outputs)
