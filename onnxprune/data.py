"""Data for fine-tuning: feed dicts keyed by graph input names, validated against the model.

Accepted: an ``.npz`` whose arrays are named after the graph inputs (optional ``labels``), or, from
the Python API, any iterable of feed dicts (the shape of onnxruntime's calibration data readers:
objects with ``get_next()`` work too). Errors name the array and say what to fix.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import ConfigError
from .ir import Graph


@dataclass
class Dataset:
    """Samples stacked per input (first axis = sample), plus optional integer labels."""
    inputs: dict[str, np.ndarray]
    labels: np.ndarray | None

    def __len__(self) -> int:
        return len(next(iter(self.inputs.values())))

    def batches(self, size: int, rng: np.random.Generator):
        """Endless shuffled batches of sample indices."""
        n = len(self)
        while True:
            order = rng.permutation(n)
            for start in range(0, max(1, n - size + 1), size):
                yield order[start:start + size]

    def feeds(self, idx) -> dict[str, np.ndarray]:
        return {k: v[idx] for k, v in self.inputs.items()}


def load_data(source, graph: Graph) -> Dataset:
    """Read and check fine-tuning data for ``graph`` (see module doc). Raises ConfigError."""
    if isinstance(source, (str, os.PathLike)):
        return _check(_npz(Path(source)), graph)
    reader = iter(lambda: source.get_next(), None) if hasattr(source, "get_next") else iter(source)
    feeds = [dict(f) for f in reader]
    if not feeds:
        raise ConfigError("the data iterable yielded no feed dicts; give at least one batch")
    stacked = {k: np.concatenate([np.asarray(f[k]) for f in feeds]) for k in feeds[0] if k != "labels"}
    labels = np.concatenate([np.asarray(f["labels"]) for f in feeds]) if "labels" in feeds[0] else None
    return _check(Dataset(stacked, labels), graph)


def _npz(path: Path) -> Dataset:
    if not path.is_file():
        raise ConfigError(f"--data {path}: no such file; give an .npz keyed by the model's input names")
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except Exception as e:  # numpy raises several types on non-npz files
        raise ConfigError(f"--data {path} is not a readable .npz ({type(e).__name__}); save it with "
                          "numpy.savez") from e
    labels = arrays.pop("labels", None)
    return Dataset(arrays, labels)


def _check(data: Dataset, graph: Graph) -> Dataset:
    wanted = graph.graph_inputs
    missing = [n for n in wanted if n not in data.inputs]
    if missing:
        raise ConfigError(f"the data has no array for input {missing[0]!r} (it has {sorted(data.inputs)}); "
                          "name the arrays after the model's inputs")
    extra = sorted(set(data.inputs) - set(wanted))
    if extra:
        raise ConfigError(f"the data has arrays {extra} that are not model inputs ({wanted}); remove or "
                          "rename them (labels go in 'labels')")
    counts = {len(v) for v in data.inputs.values()}
    for name in wanted:
        arr, want = data.inputs[name], graph.shapes[name]
        free = graph.dynamic.get(name, set()) | {0}
        if arr.ndim != len(want) or any(a != w for i, (a, w) in enumerate(zip(arr.shape, want)) if i not in free):
            raise ConfigError(f"data {name!r} has shape {arr.shape} but the model takes {want} "
                              "(samples on the first axis); resize or re-export the data")
        data.inputs[name] = arr.astype(np.float32) if arr.dtype.kind == "f" else arr
    if len(counts) != 1 or (data.labels is not None and len(data.labels) not in counts):
        raise ConfigError("the data arrays hold different numbers of samples; give one per input per sample")
    return data
