"""Install new values for weights that nodes read, un-sharing where users would disagree.

A weight is stored in an initializer or a ``Constant`` node and may be read directly or through
``Identity`` chains (the legacy torch exporter de-duplicates identical weights that way). Given the
new value each (node, input) use should see, :func:`install` writes it in place when every reader of
the stored tensor gets the same value, and otherwise gives each changed use its own initializer.
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np
import onnx
from onnx import numpy_helper

from .constfold import FOLDABLE
from .external import SPILL_BYTES, is_lazy, spill
from .ir import Graph

CONSTANT_OPS = FOLDABLE | {"Constant", "ConstantOfShape"}


def readers(graph: Graph, name: str) -> list[tuple[int, int]]:
    """Every (node index, input index) that reads ``name``, following Identity chains."""
    out = []
    for idx, k in graph.consumers.get(name, []):
        node = graph.nodes[idx]
        if node.op_type == "Identity" and k == 0:
            out += readers(graph, node.output[0])
        else:
            out.append((idx, k))
    return out


def _storage(graph: Graph, name: str) -> str:
    """The tensor name where the value is stored (initializer or Constant output)."""
    while name not in graph.initializers:
        node = graph.nodes[graph.producer[name]]
        if node.op_type != "Identity":
            return name
        name = node.input[0]
    return name


def shell_copy(model: onnx.ModelProto) -> onnx.ModelProto:
    """A copy of everything but the initializers (those are added by :meth:`WeightWriter.install`),
    so rewriting a large model never holds its weights twice."""
    out = onnx.ModelProto()
    for fd, value in model.ListFields():
        if fd.name != "graph":
            _copy_field(out, fd, value)
    for fd, value in model.graph.ListFields():
        if fd.name != "initializer":
            _copy_field(out.graph, fd, value)
    return out


def _copy_field(msg, fd, value) -> None:
    repeated = fd.is_repeated if hasattr(fd, "is_repeated") else fd.label == fd.LABEL_REPEATED
    if repeated:
        getattr(msg, fd.name).extend(value)
    elif fd.type == fd.TYPE_MESSAGE:
        getattr(msg, fd.name).CopyFrom(value)
    else:
        setattr(msg, fd.name, value)


class WeightWriter:
    """Collects per-use values for a shell copy of the model (see :func:`shell_copy`), then writes
    them and copies every untouched initializer over (see module doc)."""

    def __init__(self, graph: Graph, model: onnx.ModelProto):
        self.graph, self.model = graph, model
        self.uses: dict[tuple[int, int], np.ndarray] = {}
        self._replaced: dict[str, np.ndarray] = {}
        self._lazy_source = any(is_lazy(t) for t in graph.model.graph.initializer)
        self._names = {t.name for t in model.graph.initializer} | {o for n in model.graph.node for o in n.output}
        self._names |= {i.name for i in model.graph.input}

    def set(self, node_index: int, input_index: int, value: np.ndarray) -> None:
        self.uses[(node_index, input_index)] = value

    def install(self) -> None:
        by_store: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for use in self.uses:
            idx, k = use
            by_store[_storage(self.graph, self.graph.nodes[idx].input[k])].append(use)
        for store, uses in by_store.items():
            values = [self.uses[u] for u in uses]
            all_readers = set(readers(self.graph, store))
            same = all(v.shape == values[0].shape and np.array_equal(v, values[0]) for v in values)
            if same and all_readers == set(uses) and self._can_overwrite(store, values[0]):
                self._overwrite(store, values[0])
            else:
                for use in uses:
                    self._give_own(use, self.uses[use])
        self._copy_initializers()

    def _copy_initializers(self) -> None:
        """Original initializers, replaced where overwritten, in their original order first."""
        self.uses.clear()               # the chosen values live in _replaced or in new initializers now
        added = list(self.model.graph.initializer)
        del self.model.graph.initializer[:]
        for t in self.graph.model.graph.initializer:
            new = self._replaced.pop(t.name, None)
            if new is None:
                self.model.graph.initializer.add().CopyFrom(t)
            else:
                self.model.graph.initializer.append(self._tensor(t.name, new))
        self.model.graph.initializer.extend(added)

    def _tensor(self, name: str, value: np.ndarray) -> onnx.TensorProto:
        """In the proto, or spilled to a temp file when the source model's weights live on disk."""
        if value.nbytes >= SPILL_BYTES and self._lazy_source:
            return spill(name, value)
        return numpy_helper.from_array(np.ascontiguousarray(value), name)

    def new_name(self, base: str) -> str:
        name, k = base, 0
        while name in self._names:
            k += 1
            name = f"{base}_{k}"
        self._names.add(name)
        return name

    def add_initializer(self, base: str, value: np.ndarray) -> str:
        name = self.new_name(base)
        self.model.graph.initializer.append(self._tensor(name, value))
        if self.model.ir_version < 4:
            self.model.graph.input.append(onnx.helper.make_tensor_value_info(
                name, onnx.helper.np_dtype_to_tensor_dtype(value.dtype), value.shape))
        return name

    def _give_own(self, use: tuple[int, int], value: np.ndarray) -> None:
        idx, k = use
        node = self.model.graph.node[idx]
        node.input[k] = self.add_initializer(f"{node.input[k]}__{node.name}", value)

    def _fill_node(self, store: str):
        """The ConstantOfShape node producing ``store``, if that is where the value comes from."""
        idx = self.graph.producer.get(store)
        node = None if idx is None else self.model.graph.node[idx]
        return node if node is not None and node.op_type == "ConstantOfShape" else None

    def _can_overwrite(self, store: str, value: np.ndarray) -> bool:
        """Initializers and Constant nodes take any value; ConstantOfShape only its own fill; values
        folded from other ops never (their users get initializers of their own)."""
        if store in self.graph.initializers:
            return True
        idx = self.graph.producer.get(store)
        if idx is not None and self.graph.nodes[idx].op_type == "Constant":
            return True
        node = self._fill_node(store)
        if node is None:
            return False
        fill = self.graph.const_value(store)
        return value.size > 0 and fill.size > 0 and bool(np.all(value == fill.reshape(-1)[0]))

    def _overwrite(self, store: str, value: np.ndarray) -> None:
        g = self.model.graph
        fill = self._fill_node(store)
        if fill is not None:
            fill.input[0] = self.add_initializer(f"{store}__shape", np.array(value.shape, dtype=np.int64))
            return
        if store in self.graph.initializers:
            self._replaced[store] = value
            _retype_input(g, store, value.shape)
            return
        for node in g.node:
            if node.op_type == "Constant" and node.output[0] == store:
                del node.attribute[:]
                node.attribute.append(onnx.helper.make_attribute(
                    "value", numpy_helper.from_array(np.ascontiguousarray(value), store)))
                return
        raise KeyError(store)


def _retype_input(g: onnx.GraphProto, name: str, shape: tuple) -> None:
    """IR < 4 models list initializers as graph inputs too: keep that input's shape in step."""
    for inp in g.input:
        if inp.name == name:
            dims = inp.type.tensor_type.shape.dim
            del dims[:]
            for d in shape:
                dims.add().dim_value = int(d)


def remove_dead(model: onnx.ModelProto) -> None:
    """Drop constant-making nodes (Constant, Identity, folds) and initializers nothing reads any more."""
    g = model.graph
    while True:
        used = {i for n in g.node for i in n.input} | {o.name for o in g.output}
        dead = [i for i, n in enumerate(g.node) if n.op_type in CONSTANT_OPS
                and not any(o in used for o in n.output)]
        if not dead:
            break
        for i in reversed(dead):
            del g.node[i]
    used = {i for n in g.node for i in n.input} | {o.name for o in g.output}
    from .ir import subgraph_inputs
    for n in g.node:
        used.update(subgraph_inputs(n))
    gone = {t.name for t in g.initializer if t.name not in used}
    if gone:
        keep = [t for t in g.initializer if t.name not in gone]
        del g.initializer[:]
        g.initializer.extend(keep)
        inputs = [i for i in g.input if i.name not in gone]
        del g.input[:]
        g.input.extend(inputs)
