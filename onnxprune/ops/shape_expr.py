"""Evaluate small integer shape expressions (Shape -> Gather/Slice/Concat/Unsqueeze -> Reshape).

Each element of the result is ``("lit", value, source)`` or ``("dim", tensor, axis)`` (the run-time
size of ``tensor`` along ``axis``). ``source`` is ``(node name, input index, flat index)``: where the
literal is read from a constant, so a rewrite can change it (:func:`replace_literal`). ``None`` means
the expression is not understood: callers then pin.
"""
from __future__ import annotations

import numpy as np

from ..ir import Graph

PASS_OPS = {"Unsqueeze", "Squeeze", "Cast", "Identity"}


def evaluate(graph: Graph, name: str, depth: int = 0, reader: tuple[str, int] = ("", 0)) -> list[tuple] | None:
    """Elements of integer tensor ``name``, read by input ``reader[1]`` of node ``reader[0]``."""
    if not name or depth > 32:
        return None
    value = graph.const_value(name)
    if value is not None:
        return [("lit", int(v), (*reader, k)) for k, v in enumerate(np.asarray(value).reshape(-1))]
    idx = graph.producer.get(name)
    if idx is None:
        return None
    node = graph.nodes[idx]
    fn = _EVAL.get(node.op_type)
    return fn(graph, node, depth + 1) if fn else None


def _attr(node, name, default=None):
    import onnx
    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


def _shape(graph: Graph, node, depth: int):
    src = node.input[0]
    shape = graph.shapes.get(src)
    if shape is None:
        return None
    rank = len(shape)
    start, end = _attr(node, "start", 0), _attr(node, "end", rank)
    start, end = [max(0, min(rank, v + rank if v < 0 else v)) for v in (start, end)]
    return [("dim", src, ax) for ax in range(start, end)]


def _gather(graph: Graph, node, depth: int):
    data = evaluate(graph, node.input[0], depth, (node.name, 0))
    idx = graph.const_value(node.input[1])
    if data is None or idx is None or _attr(node, "axis", 0) != 0:
        return None
    return [data[int(i)] for i in np.asarray(idx).reshape(-1)]


def _slice(graph: Graph, node, depth: int):
    data = evaluate(graph, node.input[0], depth, (node.name, 0))
    if data is None or len(node.input) < 3:
        return None
    starts, ends, axes, steps = (_input_const(graph, node, i) for i in (1, 2, 3, 4))
    if starts is None or ends is None or (axes is not None and list(axes.reshape(-1)) != [0]):
        return None
    step = 1 if steps is None else int(steps.reshape(-1)[0])
    s, e = int(starts.reshape(-1)[0]), int(ends.reshape(-1)[0])
    return data[slice(s, e, step)]


def _input_const(graph: Graph, node, i: int):
    return graph.const_value(node.input[i]) if i < len(node.input) and node.input[i] else None


def _concat(graph: Graph, node, depth: int):
    out = []
    for i, name in enumerate(node.input):
        part = evaluate(graph, name, depth, (node.name, i))
        if part is None:
            return None
        out += part
    return out


def _passthrough(graph: Graph, node, depth: int):
    return evaluate(graph, node.input[0], depth, (node.name, 0))


_EVAL = {"Shape": _shape, "Gather": _gather, "Slice": _slice, "Concat": _concat,
         **{op: _passthrough for op in PASS_OPS}}


def replace_literal(rw, source: tuple[str, int, int], value: int) -> None:
    """Rewrite one literal of a shape expression: the reading node gets its own copy of the
    constant with element ``source[2]`` set to ``value``."""
    node_name, index, k = source
    node = next(n for n in rw.model.graph.node if n.name == node_name)
    current = rw.const(node.input[index])
    new = np.array(current, copy=True).reshape(-1)
    new[k] = value
    rw.replace_input(node, index, new.reshape(np.shape(current)).astype(current.dtype))


def channel_dims(graph: Graph, expr: list[tuple], space_of) -> list[tuple[int, object]]:
    """Positions of ``expr`` whose value is the channel count of some space: (position, space)."""
    hits = []
    for pos, el in enumerate(expr):
        if el[0] == "dim":
            space = space_of(el[1])
            if space is not None and space.axis == el[2]:
                hits.append((pos, space))
    return hits


def numeric(graph: Graph, name: str, dim_of, depth: int = 0) -> np.ndarray | None:
    """Evaluate an integer shape computation with ``dim_of(tensor, axis)`` giving run-time sizes.

    Handles Shape, Gather, Slice, Concat, Unsqueeze/Squeeze/Cast/Identity and integer Add, Sub, Mul,
    Div (floor). Used to see how run-time bounds (torch's ``chunk``) change with the channel count.
    """
    if not name or depth > 32:
        return None
    value = graph.const_value(name)
    if value is not None:
        return np.asarray(value)
    idx = graph.producer.get(name)
    if idx is None:
        return None
    node = graph.nodes[idx]
    args = [numeric(graph, i, dim_of, depth + 1) if i else None for i in node.input]
    if node.op_type != "Shape" and (not args or args[0] is None):
        return None
    return _NUMERIC.get(node.op_type, lambda *_: None)(graph, node, args, dim_of)


def _n_shape(graph, node, args, dim_of):
    rank = len(graph.shapes.get(node.input[0], ()))
    start, end = _attr(node, "start", 0), _attr(node, "end", rank)
    start, end = [max(0, min(rank, v + rank if v < 0 else v)) for v in (start, end)]
    return np.array([dim_of(node.input[0], ax) for ax in range(start, end)], dtype=np.int64)


def _n_arith(graph, node, args, dim_of):
    if len(args) != 2 or args[1] is None:
        return None
    a, b = args
    ops = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.floor_divide}
    return ops[node.op_type](a, b)


def _n_gather(graph, node, args, dim_of):
    return None if args[1] is None or _attr(node, "axis", 0) != 0 else np.take(args[0], args[1])


def _n_slice(graph, node, args, dim_of):
    if len(args) < 3 or args[1] is None or args[2] is None or (len(args) > 3 and args[3] is not None
                                                                  and list(args[3].reshape(-1)) != [0]):
        return None
    step = 1 if len(args) < 5 or args[4] is None else int(args[4].reshape(-1)[0])
    return args[0][int(args[1].reshape(-1)[0]):int(args[2].reshape(-1)[0]):step]


def _n_concat(graph, node, args, dim_of):
    return None if any(a is None for a in args) else np.concatenate([a.reshape(-1) for a in args])


def _n_unsqueeze(graph, node, args, dim_of):
    return args[0].reshape(-1) if args[0].ndim == 0 else np.expand_dims(args[0], 0)


_NUMERIC = {"Shape": _n_shape, "Gather": _n_gather, "Slice": _n_slice, "Concat": _n_concat,
            "Unsqueeze": _n_unsqueeze, "Squeeze": lambda g, n, a, d: np.squeeze(a[0]),
            "Cast": lambda g, n, a, d: a[0].astype(np.int64), "Identity": lambda g, n, a, d: a[0],
            **{op: _n_arith for op in ("Add", "Sub", "Mul", "Div")}}
