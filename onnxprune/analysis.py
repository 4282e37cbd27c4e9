"""Channel analysis: handler declarations -> union-find over channels -> groups.

Vocabulary (see docs/STYLE): a *channel space* is ``(tensor, axis)``; each channel of each space is one
integer id. Handlers *couple* ids (kept or removed together), *slice* weights by a space, *pin* ids
that may not change, and declare *cost terms*. Connected components of the coupling graph are the
units the planner removes; components with identical footprints form a :class:`Group`.

Fail closed: a node without a handler pins everything it touches; an input a handler does not
mention is pinned; an output channel a handler does not say how to produce is pinned.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import onnx

from . import ops  # noqa: F401  (registers the handlers)
from .ir import Graph, default_opset, subgraph_inputs
from .ops.registry import lookup


@dataclass
class Space:
    """The channels of one tensor along one axis; ids ``base .. base+size-1``."""
    id: int
    tensor: str
    axis: int
    size: int
    base: int


@dataclass(frozen=True)
class WeightSlice:
    """Weight ``tensor`` (input ``input_index`` of ``node``) is indexed along ``axis`` by ``space``.

    role: ``produces`` (filters that make the channel), ``consumes`` (weights that read it) or
    ``per_channel`` (a parameter of the channel itself: bias, BN scale, PRelu slope...).
    kind: ``weight``, ``bias``, ``scale`` or ``stat`` (running statistics; not used for importance).
    """
    node: str
    input_index: int
    tensor: str
    axis: int
    space: int
    role: str
    kind: str = "weight"
    period: int = 0

    def channels(self, removed_or_kept: np.ndarray) -> np.ndarray:
        """Weight indices for space channel indices: with a period (grouped conv inputs), channel j
        of the first group indexes the weight; later groups mirror it."""
        return removed_or_kept[removed_or_kept < self.period] if self.period else removed_or_kept


@dataclass(frozen=True)
class CostTerm:
    """``coef`` x the product of the kept channel counts of ``spaces`` (multiply-accumulates)."""
    node: str
    coef: float
    spaces: tuple[int, ...]


@dataclass
class Pin:
    """Channels ``index`` (all when None) of space ``space`` may not change, because ``reason``."""
    space: int
    reason: str
    index: np.ndarray | None = None


@dataclass
class Group:
    """Components with the same footprint; ``width`` of them, each touching ``footprint`` channels."""
    id: int
    components: np.ndarray            # component ids, ascending
    footprint: tuple[tuple[int, int], ...]   # (space id, channels per component)
    pinned: bool
    reasons: tuple[str, ...]
    prunable: bool

    @property
    def width(self) -> int:
        return len(self.components)


@dataclass
class Analysis:
    graph: Graph
    spaces: list[Space]
    by_tensor: dict[str, int]
    slices: list[WeightSlice]
    costs: list[CostTerm]
    pins: list[Pin]
    component: np.ndarray              # channel id -> component id
    groups: list[Group] = field(default_factory=list)
    notes: dict[str, dict] = field(default_factory=dict)

    @property
    def sizes(self) -> np.ndarray:
        return np.array([s.size for s in self.spaces], dtype=np.int64)

    def space_of(self, tensor: str) -> Space | None:
        i = self.by_tensor.get(tensor)
        return None if i is None else self.spaces[i]

    def ids(self, space: int) -> np.ndarray:
        s = self.spaces[space]
        return np.arange(s.base, s.base + s.size)

    def prunable_groups(self) -> list[Group]:
        return [g for g in self.groups if g.prunable]


class Context:
    """What a handler sees of one node, and the verbs it declares facts with."""

    def __init__(self, builder: "_Builder", node: onnx.NodeProto, opset: int):
        self._b = builder
        self.node = node
        self.graph = builder.graph
        self.opset = opset
        self.mentioned: set[int] = set()
        self.first_pin: str | None = None

    # -- reading the node ------------------------------------------------------------------
    def attr(self, name: str, default=None):
        for a in self.node.attribute:
            if a.name == name:
                return onnx.helper.get_attribute_value(a)
        return default

    def ints(self, attr: str, index: int) -> list[int] | None:
        """An integer list given as attribute ``attr`` (old opsets) or as input ``index`` (new ones):
        [] when neither is given, None when the input is not a constant."""
        value = self.attr(attr)
        if value is not None:
            return [int(v) for v in value]
        if not self.input(index):
            return []
        const = self.const(index)
        return None if const is None else [int(v) for v in const.reshape(-1)]

    def input(self, i: int) -> str:
        return self.node.input[i] if i < len(self.node.input) else ""

    def shape(self, name: str) -> tuple | None:
        return self.graph.shapes.get(name) if name else None

    def const(self, i: int) -> np.ndarray | None:
        return self.graph.const_value(self.input(i))

    def weight_shape(self, i: int) -> tuple | None:
        """Shape of input ``i`` when it is a constant (without reading its values), else None."""
        name = self.input(i)
        shape = self.graph.shapes.get(name) if name and self.graph.is_const(name) else None
        return None if shape is None or not all(isinstance(d, int) for d in shape) else tuple(shape)

    def space(self, name: str) -> Space | None:
        return self._b.space_of(name)

    def input_space(self, i: int) -> Space | None:
        return self.space(self.input(i))

    def note(self, key: str, value) -> None:
        """Keep a fact for this node's rewrite hook."""
        self._b.notes.setdefault(self.node.name, {})[key] = value

    # -- declaring facts -------------------------------------------------------------------
    def define(self, output: int, axis: int) -> Space | None:
        """Create the channel space of output ``output`` along ``axis`` (None if its size is unknown)."""
        name = self.node.output[output] if output < len(self.node.output) else ""
        return self._b.define(name, axis, self.where) if name else None

    def couple(self, out: Space, out_idx, inp: Space, in_idx) -> None:
        """Output channels ``out_idx`` are made from input channels ``in_idx`` (kept/removed together)."""
        self._b.union(out, out_idx, inp, in_idx)
        self._b.sourced[out.id][np.asarray(out_idx)] = True
        self.mentioned.add(inp.id)

    def identity(self, out: Space, inp: Space) -> None:
        if out.size != inp.size:
            self.pin(out, f"channel counts differ ({out.size} vs {inp.size})")
            self.pin(inp, f"channel counts differ ({out.size} vs {inp.size})")
            return
        idx = np.arange(out.size)
        self.couple(out, idx, inp, idx)

    def union(self, a: Space, a_idx, b: Space, b_idx) -> None:
        """Tie channels together without saying that one makes the other."""
        self._b.union(a, a_idx, b, b_idx)
        self.mentioned.update((a.id, b.id))

    def source(self, out: Space) -> None:
        """Every channel of ``out`` is made by this node (e.g. whole conv groups)."""
        self._b.sourced[out.id][:] = True

    def slice(self, input_index: int, axis: int, space: Space, role: str, kind: str = "weight",
              period: int = 0) -> None:
        """Weight input ``input_index`` is indexed along ``axis`` by ``space`` (by its first
        ``period`` channels when given)."""
        name = self.input(input_index)
        shape = self.graph.shapes.get(name) if self.graph.is_const(name) else None
        if shape is None or len(shape) <= axis or shape[axis] != (period or space.size):
            self.pin(space, f"weight {name!r} axis {axis} does not match {space.size} channels")
            return
        self._b.slices.append(WeightSlice(self.node.name, input_index, name, axis, space.id, role, kind,
                                          period))
        if role == "produces":
            self._b.sourced[space.id][:] = True
        self.mentioned.add(space.id)

    def pin(self, space: Space | None, reason: str) -> None:
        self.first_pin = self.first_pin or reason
        if space is not None:
            self._b.pins.append(Pin(space.id, f"{self.where}: {reason}"))
            self.mentioned.add(space.id)

    def use(self, space: Space | None) -> None:
        """The node reads ``space`` in a way that adapts to any channel count (e.g. Shape)."""
        if space is not None:
            self.mentioned.add(space.id)

    def cost(self, coef: float, *spaces: Space | None) -> None:
        """Add ``coef`` x prod(kept channels) of the given spaces (a None space counts as fixed 1)."""
        ids = tuple(s.id for s in spaces if s is not None)
        self._b.costs.append(CostTerm(self.node.name, float(coef), ids))

    @property
    def where(self) -> str:
        return f"node {self.node.name} ({self.node.op_type})"


class _Builder:
    """Accumulates the declarations of all handlers, then solves components."""

    def __init__(self, graph: Graph):
        self.graph = graph
        self.spaces: list[Space] = []
        self.by_tensor: dict[str, int] = {}
        self.slices: list[WeightSlice] = []
        self.costs: list[CostTerm] = []
        self.pins: list[Pin] = []
        self.sourced: list[np.ndarray] = []
        self.edges_a: list[np.ndarray] = []
        self.edges_b: list[np.ndarray] = []
        self.notes: dict[str, dict] = {}
        self.total = 0

    def space_of(self, name: str) -> Space | None:
        i = self.by_tensor.get(name)
        return None if i is None else self.spaces[i]

    def define(self, name: str, axis: int, where: str) -> Space | None:
        if name in self.by_tensor:
            return self.spaces[self.by_tensor[name]]
        shape = self.graph.shapes.get(name)
        if shape is None or not (0 <= axis < len(shape)) or not isinstance(shape[axis], int) or \
                not self.graph.is_float(name):
            return None
        space = Space(len(self.spaces), name, axis, int(shape[axis]), self.total)
        self.total += space.size
        self.spaces.append(space)
        self.by_tensor[name] = space.id
        self.sourced.append(np.zeros(space.size, dtype=bool))
        if axis in self.graph.dynamic.get(name, ()):
            self.pins.append(Pin(space.id, f"{where}: channel dimension of {name!r} changes with the "
                                           "input size (dynamic)"))
        return space

    def union(self, a: Space, a_idx, b: Space, b_idx) -> None:
        self.edges_a.append(a.base + np.asarray(a_idx, dtype=np.int64))
        self.edges_b.append(b.base + np.asarray(b_idx, dtype=np.int64))


def default_axis(shape: tuple | None) -> int:
    return 1 if shape is not None and len(shape) >= 2 else 0


def _is_activation(graph: Graph, name: str) -> bool:
    return bool(name) and not graph.is_const(name)


def _analyze_node(b: _Builder, node: onnx.NodeProto, opset: int, excluded: bool) -> None:
    ctx = Context(b, node, opset)
    handler = None if excluded else lookup(node.op_type, node.domain, opset)
    inputs = [n for n in list(node.input) + subgraph_inputs(node) if _is_activation(b.graph, n)]
    if handler is None:
        why = "excluded by the user" if excluded else (
            f"no handler for {node.domain + '::' if node.domain else ''}{node.op_type}")
        for name in inputs:
            ctx.pin(b.space_of(name), why)
        _define_rest(b, ctx, why)
        return
    handler.analyze(node, ctx)
    for k, name in enumerate(inputs):
        s = b.space_of(name)
        if s is not None and s.id not in ctx.mentioned:
            ctx.pin(s, f"the handler does not declare input {name!r}")
    _define_rest(b, ctx, ctx.first_pin or "the handler does not define this output")
    for out in node.output:
        s = b.space_of(out)
        if s is not None and not b.sourced[s.id].all():
            b.pins.append(Pin(s.id, f"{ctx.where}: the handler does not say how these channels of "
                                    f"{out!r} are made", np.nonzero(~b.sourced[s.id])[0]))


def _define_rest(b: _Builder, ctx: Context, why: str) -> None:
    for k, out in enumerate(ctx.node.output):
        if out and out not in b.by_tensor and _is_activation(b.graph, out):
            s = ctx.define(k, default_axis(b.graph.shapes.get(out)))
            ctx.pin(s, why)


def _components(total: int, edges_a: list, edges_b: list) -> np.ndarray:
    """Connected components by min-label propagation with pointer jumping (vectorised)."""
    labels = np.arange(total, dtype=np.int64)
    if not edges_a:
        return labels
    a = np.concatenate(edges_a)
    c = np.concatenate(edges_b)
    while True:
        la, lc = labels[a], labels[c]
        low = np.minimum(la, lc)
        before = labels.copy()
        np.minimum.at(labels, la, low)
        np.minimum.at(labels, lc, low)
        while True:
            jumped = labels[labels]
            if np.array_equal(jumped, labels):
                break
            labels = jumped
        if np.array_equal(before, labels):
            return labels


def analyze_graph(graph: Graph, exclude: tuple[str, ...] = ()) -> Analysis:
    """Run every handler, solve components and group them. Never modifies ``graph``."""
    b = _Builder(graph)
    opset = default_opset(graph.model)
    for name in graph.graph_inputs:
        s = b.define(name, default_axis(graph.shapes.get(name)), "graph input")
        if s is not None:
            b.pins.append(Pin(s.id, f"graph input {name!r}: its shape is fixed by the caller"))
    unknown_exclude = set(exclude) - {n.name for n in graph.nodes}
    if unknown_exclude:
        from .errors import ConfigError
        raise ConfigError(f"--exclude names no node: {', '.join(sorted(unknown_exclude))}; run "
                          "`onnxprune analyze` to list node names")
    for node in graph.nodes:
        _analyze_node(b, node, opset, node.name in exclude)
    for name in graph.graph_outputs:
        s = b.space_of(name)
        if s is not None:
            b.pins.append(Pin(s.id, f"graph output {name!r}: output shapes never change"))
    labels = _components(b.total, b.edges_a, b.edges_b)
    _, component = np.unique(labels, return_inverse=True)
    result = Analysis(graph, b.spaces, b.by_tensor, b.slices, b.costs, b.pins, component.astype(np.int64),
                      notes=b.notes)
    from .groups import build_groups
    result.groups = build_groups(result)
    return result
