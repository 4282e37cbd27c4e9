"""onnxruntime helpers: sessions on the CPU, seeded inputs, runs."""
from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort

_NP_TYPES = {onnx.TensorProto.FLOAT: np.float32, onnx.TensorProto.DOUBLE: np.float64,
             onnx.TensorProto.FLOAT16: np.float16, onnx.TensorProto.INT64: np.int64,
             onnx.TensorProto.INT32: np.int32, onnx.TensorProto.BOOL: np.bool_,
             onnx.TensorProto.UINT8: np.uint8}


def session(model, *, optimize: bool = True, threads: int = 1) -> ort.InferenceSession:
    """A CPU session for a ModelProto or a model file (external data beside it, needed over
    protobuf's 2 GB); ``optimize=False`` disables graph optimisations (for exact comparisons)."""
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    if not optimize:
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    source = model.SerializeToString() if isinstance(model, onnx.ModelProto) else str(model)
    return ort.InferenceSession(source, opts, providers=["CPUExecutionProvider"])


def random_feeds(model: onnx.ModelProto, shapes: dict[str, tuple], seed: int = 0) -> dict[str, np.ndarray]:
    """Seeded standard-normal inputs (zeros for integer/bool inputs) with the given static shapes."""
    rng = np.random.default_rng(seed)
    inits = {t.name for t in model.graph.initializer}
    feeds = {}
    for inp in model.graph.input:
        if inp.name in inits:
            continue
        dtype = _NP_TYPES.get(inp.type.tensor_type.elem_type, np.float32)
        shape = tuple(int(d) for d in shapes[inp.name])
        if np.issubdtype(dtype, np.floating):
            feeds[inp.name] = rng.standard_normal(shape).astype(dtype)
        else:
            feeds[inp.name] = np.zeros(shape, dtype=dtype)
    return feeds


def run(model: onnx.ModelProto, feeds: dict[str, np.ndarray], *, optimize: bool = True) -> list[np.ndarray]:
    return session(model, optimize=optimize).run(None, feeds)
