"""A tiny graph builder for tests: seeded random weights, onnx.helper underneath.

    b = GraphBuilder(opset=17)
    x = b.input("x", [1, 4, 8, 8])
    y = b.relu(b.conv(x, 8))
    model = b.model([y])
"""
from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


class GraphBuilder:
    def __init__(self, opset: int = 17, seed: int = 0, ir_version: int = 8):
        self.opset, self.ir_version = opset, ir_version
        self.rng = np.random.default_rng(seed)
        self.nodes, self.inits, self.inputs = [], [], []
        self.shapes: dict[str, list[int]] = {}
        self._n = 0

    def _name(self, prefix: str) -> str:
        self._n += 1
        return f"{prefix}{self._n}"

    def input(self, name: str, shape, dims=None) -> str:
        self.inputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, dims or shape))
        self.shapes[name] = list(shape)
        return name

    def init(self, value: np.ndarray, prefix: str = "w") -> str:
        name = self._name(prefix)
        self.inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def const_node(self, value: np.ndarray, prefix: str = "k") -> str:
        """A weight held in a Constant node (paddle2onnx / torch dynamo style)."""
        name = self._name(prefix)
        self.nodes.append(helper.make_node("Constant", [], [name], name=f"{name}_const",
                                           value=numpy_helper.from_array(np.asarray(value), name)))
        return name

    def rand(self, *shape, scale: float = 0.5) -> np.ndarray:
        return (self.rng.standard_normal(shape) * scale).astype(np.float32)

    def op(self, op_type: str, inputs, n_out: int = 1, **attrs):
        outs = [self._name(op_type.lower()) for _ in range(n_out)]
        self.nodes.append(helper.make_node(op_type, list(inputs), outs, name=f"{outs[0]}_node", **attrs))
        return outs[0] if n_out == 1 else outs

    # -- common layers ------------------------------------------------------------------------
    def conv(self, x: str, cin: int, cout: int, k: int = 3, group: int = 1, stride: int = 1,
             bias: bool = True, weight: str | None = None) -> str:
        w = weight or self.init(self.rand(cout, cin // group, k, k, scale=(cin // group * k * k) ** -0.5))
        ins = [x, w] + ([self.init(self.rand(cout))] if bias else [])
        return self.op("Conv", ins, kernel_shape=[k, k], pads=[k // 2] * 4, strides=[stride, stride],
                       group=group)

    def bn(self, x: str, c: int) -> str:
        params = [self.rand(c) + 1.0, self.rand(c), self.rand(c), np.abs(self.rand(c)) + 0.5]
        return self.op("BatchNormalization", [x] + [self.init(p.astype(np.float32)) for p in params])

    def relu(self, x: str) -> str:
        return self.op("Relu", [x])

    def cbr(self, x: str, cin: int, cout: int, k: int = 3, **kw) -> str:
        return self.relu(self.bn(self.conv(x, cin, cout, k, bias=False, **kw), cout))

    def gap(self, x: str) -> str:
        return self.op("GlobalAveragePool", [x])

    def model(self, outputs: list[str], shapes: dict[str, list] | None = None) -> onnx.ModelProto:
        """The checked model; ``shapes`` gives output shapes that inference cannot work out."""
        outs = [helper.make_tensor_value_info(o, TensorProto.FLOAT, (shapes or {}).get(o)) for o in outputs]
        graph = helper.make_graph(self.nodes, "test", self.inputs, outs, self.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", self.opset)])
        model.ir_version = max(self.ir_version, 4)
        model = onnx.shape_inference.infer_shapes(model, data_prop=True)
        inferred = {vi.name: vi for vi in model.graph.value_info}
        for out in model.graph.output:
            if out.name in inferred and not out.type.tensor_type.HasField("shape"):
                out.type.CopyFrom(inferred[out.name].type)
        del model.graph.value_info[:]
        model.ir_version = self.ir_version
        if self.ir_version < 4:     # IR 3: every initializer is also a graph input
            model.graph.input.extend(helper.make_tensor_value_info(t.name, t.data_type, t.dims)
                                     for t in model.graph.initializer)
        onnx.checker.check_model(model)
        return model
