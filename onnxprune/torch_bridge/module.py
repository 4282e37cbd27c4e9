"""OnnxModule: an ONNX graph as a torch ``nn.Module`` whose weights are trainable parameters.

Every float tensor that is computed from constants only (initializers, ``Constant`` nodes, folded
ConstantOfShape/Unsqueeze/Reshape of constants) and has more than one element becomes an
``nn.Parameter`` keyed by its tensor name; :meth:`OnnxModule.write_back` puts trained values back
into a copy of the ONNX model (in place where the weight is stored, else as a new initializer).
"""
from __future__ import annotations

import numpy as np
import onnx
import torch
from onnx import helper

from ..ir import Graph, build_graph, default_opset, load_model
from ..ops.registry import kernel
from ..weights import WeightWriter, shell_copy
from . import elementwise, layout  # noqa: F401  (register kernels)
from .kernels import BridgeError


def _attrs(node: onnx.NodeProto) -> dict:
    out = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    out["_n_outputs"] = len(node.output)
    return out


class OnnxModule(torch.nn.Module):
    """``forward(*inputs)`` runs the graph (inference semantics); returns a tuple of outputs."""

    def __init__(self, source):
        super().__init__()
        self.graph = source if isinstance(source, Graph) else build_graph(load_model(source))
        g = self.graph
        self.opset = default_opset(g.model)
        self._names: dict[str, str] = {}              # tensor name -> parameter key
        self.weights = torch.nn.ParameterDict()
        self._consts: dict[str, torch.Tensor] = {}
        self._steps = []
        self._skip: set[int] = set()
        self._collect_constants()
        for i, node in enumerate(g.nodes):
            if i in self._skip:
                continue
            fn = kernel(node.op_type, node.domain)
            if fn is None:
                raise BridgeError(f"node {node.name}: the torch bridge has no kernel for {node.op_type}")
            self._steps.append((node, fn, _attrs(node)))
        self.input_names = g.graph_inputs
        self.output_names = g.graph_outputs

    def _collect_constants(self) -> None:
        """Weights read by compute nodes become parameters; nodes that only make constants are skipped."""
        g = self.graph
        for i, node in enumerate(g.nodes):
            if node.output and all(g.is_const(o) for o in node.output if o):
                self._skip.add(i)
        for node_index, node in enumerate(g.nodes):
            if node_index in self._skip:
                continue
            for k, name in enumerate(node.input):
                if name and name not in self._names and name not in self._consts and g.is_const(name):
                    stat = node.op_type == "BatchNormalization" and k in (3, 4)
                    self._add_constant(name, trainable=not stat)

    def _add_constant(self, name: str, trainable: bool) -> None:
        """Float weights become parameters (BN running statistics too, but frozen), the rest constants."""
        value = np.array(self.graph.const_value(name))
        tensor = torch.from_numpy(value.copy())
        if value.dtype.kind == "f" and value.size > 1:
            key = f"w{len(self._names)}"
            self._names[name] = key
            self.weights[key] = torch.nn.Parameter(tensor, requires_grad=trainable)
        else:
            self._consts[name] = tensor

    def parameter(self, tensor_name: str) -> torch.nn.Parameter:
        return self.weights[self._names[tensor_name]]

    @property
    def parameter_names(self) -> list[str]:
        return list(self._names)

    def forward(self, *inputs: torch.Tensor):
        env: dict[str, torch.Tensor] = dict(zip(self.input_names, inputs))
        for name, key in self._names.items():
            env[name] = self.weights[key]
        env.update(self._consts)
        for node, fn, attrs in self._steps:
            args = [env[n] if n else None for n in node.input]
            outs = fn(attrs, args, self.opset)
            for name, value in zip(node.output, outs):
                if name:
                    env[name] = value
        return tuple(env[n] for n in self.output_names)

    def write_back(self) -> onnx.ModelProto:
        """A copy of the model with the current parameter values (unchanged ones byte-identical)."""
        g = self.graph
        model = shell_copy(g.model)
        writer = WeightWriter(g, model)
        for idx, node in enumerate(g.nodes):
            for k, name in enumerate(node.input):
                if name in self._names and idx not in self._skip:
                    value = self.parameter(name).detach().cpu().numpy()
                    writer.set(idx, k, value.astype(g.const_value(name).dtype, copy=False))
        writer.install()
        return model
