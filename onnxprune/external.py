"""External data (weights beside the .onnx file) without holding gigabytes twice.

Small models get their external data loaded into the proto as usual. From ``LAZY_BYTES`` of
external data on, weights stay on disk: each tensor's ``location`` is made absolute and its values
are read on demand with ``np.fromfile`` (no intermediate bytes). Such a model is only written by
:func:`write_with_external_data`, which streams untouched tensors from the source file.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import onnx
from onnx import external_data_helper as edh
from onnx import helper, numpy_helper

from .errors import ModelLoadError

LAZY_BYTES = 256 << 20
_COPY_CHUNK = 64 << 20


def _info(t: onnx.TensorProto) -> dict[str, str]:
    return {e.key: e.value for e in t.external_data}


def _nbytes(t: onnx.TensorProto) -> int:
    return int(np.prod(t.dims, dtype=np.int64)) * helper.tensor_dtype_to_np_dtype(t.data_type).itemsize


def is_lazy(t: onnx.TensorProto) -> bool:
    return edh.uses_external_data(t) and os.path.isabs(_info(t).get("location", ""))


def attach(model: onnx.ModelProto, directory: Path) -> None:
    """Check every external tensor's file and range; load small models' data, keep large ones lazy."""
    tensors = [t for t in model.graph.initializer if edh.uses_external_data(t)]
    total = 0
    for t in tensors:
        info = _info(t)
        path = (directory / info.get("location", "")).resolve()
        offset, length = int(info.get("offset", 0)), int(info.get("length", _nbytes(t)))
        if not path.is_file() or path.stat().st_size < offset + length:
            raise ModelLoadError(f"external data for {t.name!r} is missing or short ({path.name}); keep the "
                                 "data files beside the model")
        total += length
    if total < LAZY_BYTES:
        try:
            edh.load_external_data_for_model(model, str(directory))
        except (OSError, ValueError, onnx.checker.ValidationError) as e:
            raise ModelLoadError(f"external data could not be read ({str(e).splitlines()[0]}); keep the "
                                 "data files beside the model") from e
        return
    for t in tensors:
        for entry in t.external_data:
            if entry.key == "location":
                entry.value = str((directory / entry.value).resolve())


def read_tensor(t: onnx.TensorProto) -> np.ndarray:
    """The tensor's values; lazy tensors are read straight from their file."""
    if not is_lazy(t):
        return numpy_helper.to_array(t)
    info = _info(t)
    dtype = helper.tensor_dtype_to_np_dtype(t.data_type)
    count = int(np.prod(t.dims, dtype=np.int64))
    return np.fromfile(info["location"], dtype=dtype, count=count, offset=int(info.get("offset", 0))).reshape(
        tuple(t.dims))


def needs_streaming(model: onnx.ModelProto) -> bool:
    return any(is_lazy(t) for t in model.graph.initializer)


def write_with_external_data(model: onnx.ModelProto, proto_path: Path, data_path: Path, location: str) -> None:
    """Write ``model`` as ``proto_path`` + ``data_path`` (referenced as ``location``): every tensor of
    1 KiB or more goes to the data file, copied in chunks from lazy sources. ``model`` is unchanged."""
    out = onnx.ModelProto()
    out.CopyFrom(_shell(model))
    with open(data_path, "wb") as data:
        for t in model.graph.initializer:
            if not is_lazy(t) and _nbytes(t) < 1024:
                out.graph.initializer.add().CopyFrom(t)
                continue
            offset = data.tell()
            _write_values(t, data)
            ref = out.graph.initializer.add()
            ref.name, ref.data_type = t.name, t.data_type
            ref.dims.extend(t.dims)
            for key, value in (("location", location), ("offset", offset), ("length", data.tell() - offset)):
                ref.external_data.add(key=key, value=str(value))
            ref.data_location = onnx.TensorProto.EXTERNAL
    onnx.save_model(out, str(proto_path))


def _write_values(t: onnx.TensorProto, data) -> None:
    if not is_lazy(t):
        data.write(np.ascontiguousarray(numpy_helper.to_array(t)).tobytes())
        return
    info = _info(t)
    remaining, offset = int(info.get("length", _nbytes(t))), int(info.get("offset", 0))
    with open(info["location"], "rb") as src:
        src.seek(offset)
        while remaining:
            chunk = src.read(min(remaining, _COPY_CHUNK))
            data.write(chunk)
            remaining -= len(chunk)


def _shell(model: onnx.ModelProto) -> onnx.ModelProto:
    from .weights import shell_copy
    return shell_copy(model)


def read_selected(t: onnx.TensorProto, picks: list[tuple[int, np.ndarray]], chunk_bytes: int = _COPY_CHUNK) -> np.ndarray:
    """``t`` with only the indices ``picks[k] = (axis, kept)`` kept, read slab by slab along axis 0
    so a lazy gigabyte weight is never in memory whole."""
    shape = tuple(int(d) for d in t.dims)
    dtype = helper.tensor_dtype_to_np_dtype(t.data_type)
    rows = dict(picks).get(0, np.arange(shape[0]))
    out_shape = list(shape)
    for axis, kept in picks:
        out_shape[axis] = len(kept)
    out = np.empty(out_shape, dtype=dtype)
    row_bytes = max(1, int(np.prod(shape[1:], dtype=np.int64)) * dtype.itemsize)
    block = max(1, chunk_bytes // row_bytes)
    info, pos = _info(t), 0
    for start in range(0, shape[0], block):
        stop = min(start + block, shape[0])
        sel = rows[(rows >= start) & (rows < stop)]
        if not len(sel):
            continue
        slab = np.fromfile(info["location"], dtype=dtype, count=(stop - start) * (row_bytes // dtype.itemsize),
                           offset=int(info.get("offset", 0)) + start * row_bytes).reshape((stop - start,) + shape[1:])
        slab = slab[sel - start]
        for axis, kept in picks:
            if axis:
                slab = np.take(slab, kept, axis=axis)
        out[pos:pos + len(sel)] = slab
        pos += len(sel)
    return out


_SPILL_DIR: Path | None = None
SPILL_BYTES = 64 << 20


def spill(name: str, value: np.ndarray) -> onnx.TensorProto:
    """A lazy tensor holding ``value``, written to this process's temp dir (removed at exit), so a
    rewritten large model keeps no big weight in memory either. Save it with ir.save_model."""
    global _SPILL_DIR
    if _SPILL_DIR is None:
        import atexit
        import shutil
        import tempfile
        _SPILL_DIR = Path(tempfile.mkdtemp(prefix="onnxprune-weights-"))
        atexit.register(shutil.rmtree, _SPILL_DIR, True)
    path = _SPILL_DIR / f"w{len(list(_SPILL_DIR.iterdir()))}.bin"
    np.ascontiguousarray(value).tofile(path)
    t = onnx.TensorProto()
    t.name, t.data_type = name, helper.np_dtype_to_tensor_dtype(value.dtype)
    t.dims.extend(value.shape)
    for key, val in (("location", str(path)), ("offset", 0), ("length", value.nbytes)):
        t.external_data.add(key=key, value=str(val))
    t.data_location = onnx.TensorProto.EXTERNAL
    return t


def iter_slabs(t: onnx.TensorProto, chunk_bytes: int = _COPY_CHUNK):
    """(first row, rows) blocks of a lazy tensor along axis 0, read one at a time."""
    shape = tuple(int(d) for d in t.dims)
    every = np.arange(shape[0])
    block = max(1, chunk_bytes // max(1, int(np.prod(shape[1:], dtype=np.int64)) *
                                      helper.tensor_dtype_to_np_dtype(t.data_type).itemsize))
    for start in range(0, shape[0], block):
        yield start, read_selected(t, [(0, every[start:start + block])])
