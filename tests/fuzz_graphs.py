"""Random CNN graphs for property-based tests (hypothesis).

A graph grows from ``x [1,3,8,8]`` by drawing ops at random: convs (dense, depthwise, grouped),
BatchNorm, activations, residual Add/Mul, SE gates, Concat, Split, pooling, Resize, and ops with no
handler (LRN). It ends with an optional Flatten/GAP → Gemm head. Shapes are tracked so that every
drawn op is valid.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

from builder import GraphBuilder

ACTS = ["Relu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "LeakyRelu", "Elu", "Softplus"]
OPS = ["conv", "conv", "depthwise", "grouped", "bn", "act", "residual", "se", "concat", "split", "pool",
       "resize", "unknown"]


@dataclass
class T:
    name: str
    c: int
    hw: int


def _divisors(n: int) -> list[int]:
    return [d for d in range(2, n + 1) if n % d == 0]


class RandomNet:
    def __init__(self, data, seed: int):
        self.d, self.b = data, GraphBuilder(seed=seed)
        self.live = [T(self.b.cbr(self.b.input("x", [1, 3, 8, 8]), 3, self._width()), 0, 8)]
        self.live[0].c = self.b.shapes.get(self.live[0].name, [0, 0])[1] or self._last_width
        self.ops: list[str] = []

    def _width(self) -> int:
        self._last_width = self.d.draw(st.integers(2, 24), label="width")
        return self._last_width

    def pick(self) -> T:
        return self.d.draw(st.sampled_from(self.live), label="tensor")

    def add(self, t: T) -> None:
        self.live.append(t)

    def step(self) -> None:
        op = self.d.draw(st.sampled_from(OPS), label="op")
        self.ops.append(op)
        getattr(self, f"_{op}")(self.pick())

    # -- ops --------------------------------------------------------------------------------
    def _conv(self, t: T) -> None:
        k = self.d.draw(st.sampled_from([1, 3]), label="k")
        stride = 2 if t.hw >= 4 and self.d.draw(st.booleans(), label="stride") else 1
        c = self._width()
        self.add(T(self.b.conv(t.name, t.c, c, k=k, stride=stride), c, (t.hw + stride - 1) // stride))

    def _depthwise(self, t: T) -> None:
        mult = self.d.draw(st.sampled_from([1, 2]), label="multiplier")
        self.add(T(self.b.conv(t.name, t.c, t.c * mult, group=t.c), t.c * mult, t.hw))

    def _grouped(self, t: T) -> None:
        groups = self.d.draw(st.sampled_from(_divisors(t.c) or [1]), label="groups")
        c = groups * self.d.draw(st.integers(1, 6), label="per_group")
        self.add(T(self.b.conv(t.name, t.c, c, group=groups), c, t.hw))

    def _bn(self, t: T) -> None:
        self.add(T(self.b.bn(t.name, t.c), t.c, t.hw))

    def _act(self, t: T) -> None:
        self.add(T(self.b.op(self.d.draw(st.sampled_from(ACTS), label="act"), [t.name]), t.c, t.hw))

    def _residual(self, t: T) -> None:
        op = self.d.draw(st.sampled_from(["Add", "Mul", "Sum", "Max"]), label="join")
        other = self.b.conv(t.name, t.c, t.c)
        self.add(T(self.b.op(op, [t.name, other]), t.c, t.hw))

    def _se(self, t: T) -> None:
        mid = max(1, t.c // 4)
        s = self.b.op("Sigmoid", [self.b.conv(self.b.relu(self.b.conv(self.b.gap(t.name), t.c, mid, k=1)), mid, t.c, k=1)])
        self.add(T(self.b.op("Mul", [t.name, s]), t.c, t.hw))

    def _concat(self, t: T) -> None:
        same = [u for u in self.live if u.hw == t.hw]
        u = self.d.draw(st.sampled_from(same), label="concat_with")
        self.add(T(self.b.op("Concat", [t.name, u.name], axis=1), t.c + u.c, t.hw))

    def _split(self, t: T) -> None:
        if t.c < 2:
            return self._bn(t)
        first = self.d.draw(st.integers(1, t.c - 1), label="split_at")
        sizes = self.b.init(np.array([first, t.c - first], np.int64))
        a, c = self.b.op("Split", [t.name, sizes], n_out=2, axis=1)
        self.add(T(a, first, t.hw))
        self.add(T(c, t.c - first, t.hw))

    def _pool(self, t: T) -> None:
        if t.hw < 2:
            return self._act(t)
        op = self.d.draw(st.sampled_from(["MaxPool", "AveragePool"]), label="pool")
        self.add(T(self.b.op(op, [t.name], kernel_shape=[2, 2], strides=[2, 2]), t.c, t.hw // 2))

    def _resize(self, t: T) -> None:
        if t.hw > 8:
            return self._pool(t)
        scales = self.b.init(np.array([1, 1, 2, 2], np.float32))
        self.add(T(self.b.op("Resize", [t.name, "", scales], mode="nearest"), t.c, t.hw * 2))

    def _unknown(self, t: T) -> None:
        self.add(T(self.b.op("LRN", [t.name], size=3), t.c, t.hw))

    def finish(self):
        last = self.live[-1]
        outputs = [last.name]
        head = self.d.draw(st.sampled_from(["none", "gap_gemm", "flatten_gemm"]), label="head")
        if head != "none":
            src = self.b.gap(last.name) if head == "gap_gemm" else last.name
            f = self.b.op("Flatten", [src], axis=1)
            feats = last.c * (1 if head == "gap_gemm" else last.hw * last.hw)
            outputs = [self.b.op("Gemm", [f, self.b.init(self.b.rand(feats, 5, scale=feats ** -0.5)),
                                          self.b.init(self.b.rand(5))])]
        extra = self.d.draw(st.sampled_from(self.live), label="second_output")
        if extra.name not in outputs and self.d.draw(st.booleans(), label="two_outputs"):
            outputs.append(extra.name)
        return self.b.model(outputs)


def random_model(data, max_ops: int = 12):
    """Draw a random model; returns (model, list of op kinds drawn)."""
    net = RandomNet(data, seed=data.draw(st.integers(0, 2**16), label="seed"))
    for _ in range(data.draw(st.integers(1, max_ops), label="n_ops")):
        net.step()
    return net.finish(), net.ops
