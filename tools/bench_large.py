"""Prune a large synthetic model (external data) and measure wall time and peak memory.

    python tools/bench_large.py --gb 1.0 [--gb 2.2] [--markdown docs/large_models.md]

The model: x[1,3,32,32] -conv[64]-relu-conv[64]-relu- Flatten [65536] -Gemm[65536 x N]-Relu-Gemm[N x 10],
with N chosen so the file holds the requested size. It is written with external data to a temp
dir, pruned by the ``onnxprune`` CLI in a child process (default options: verification on), and
the child's peak resident memory (ru_maxrss) is compared with the model size.
"""
from __future__ import annotations

import argparse
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx
from onnx import helper

FEATURES = 64 * 32 * 32


def build(path: Path, gigabytes: float, seed: int = 0) -> int:
    """Write the model with its weights in ``path.name + '.data'`` (streamed, so models over 2 GB
    need no 2 GB proto); returns the data size in bytes."""
    rng = np.random.default_rng(seed)
    hidden = max(16, int(gigabytes * 2**30 / (FEATURES * 4)) // 16 * 16)
    location = path.name + ".data"
    inits = []
    with open(path.parent / location, "wb") as data:
        for name, shape in (("c1", (64, 3, 3, 3)), ("c2", (64, 64, 3, 3)), ("g1", (FEATURES, hidden)),
                            ("g2", (hidden, 10))):
            inits.append(_write_weight(data, rng, name, shape, location))
    nodes = [helper.make_node("Conv", ["x", "c1"], ["a"], pads=[1] * 4, name="conv1"),
             helper.make_node("Relu", ["a"], ["b"], name="relu1"),
             helper.make_node("Conv", ["b", "c2"], ["c"], pads=[1] * 4, name="conv2"),
             helper.make_node("Relu", ["c"], ["d"], name="relu2"),
             helper.make_node("Flatten", ["d"], ["f"], axis=1, name="flatten"),
             helper.make_node("Gemm", ["f", "g1"], ["h"], name="fc1"),
             helper.make_node("Relu", ["h"], ["r"], name="relu3"),
             helper.make_node("Gemm", ["r", "g2"], ["y"], name="fc2")]
    graph = helper.make_graph(nodes, "large", [helper.make_tensor_value_info("x", 1, [1, 3, 32, 32])],
                              [helper.make_tensor_value_info("y", 1, [1, 10])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save_model(model, str(path))
    return (path.parent / location).stat().st_size


def _write_weight(data, rng, name: str, shape: tuple, location: str) -> onnx.TensorProto:
    """Seeded fan-in-scaled normal values written in row blocks; an external-data TensorProto."""
    offset = data.tell()
    scale = np.float32(np.prod(shape[1:]) ** -0.5)
    rows = max(1, (64 << 20) // (4 * int(np.prod(shape[1:]))))
    for start in range(0, shape[0], rows):
        block = (min(rows, shape[0] - start),) + shape[1:]
        (rng.standard_normal(block, dtype=np.float32) * scale).tofile(data)
    t = onnx.TensorProto()
    t.name, t.data_type = name, onnx.TensorProto.FLOAT
    t.dims.extend(shape)
    for key, value in (("location", location), ("offset", offset), ("length", data.tell() - offset)):
        t.external_data.add(key=key, value=str(value))
    t.data_location = onnx.TensorProto.EXTERNAL
    return t


def run(path: Path, out: Path, extra: list[str]) -> tuple[float, float, int]:
    """(wall seconds, peak RSS bytes, exit code) of one CLI run in a child process.

    The child is started by a small runner process that reports its own child's ru_maxrss, so the
    peak is the CLI's alone (a child forked from this process would inherit its RSS until exec)."""
    runner = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
              "p = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
              "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, p.returncode); "
              "print(p.stderr.strip(), file=sys.stderr)")
    cmd = [sys.executable, "-c", runner, sys.executable, "-m", "onnxprune.cli", str(path), str(out),
           "--target-flops", "0.5", *extra]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.stderr.strip():
        print(proc.stderr.strip(), file=sys.stderr)
    wall, peak_kb, code = proc.stdout.split()
    return float(wall), int(peak_kb) * 1024, int(code)


def _build_in_child(path: Path, gb: float) -> int:
    """Build in a separate process so this one stays small (its children fork from it)."""
    code = f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); import bench_large; " \
           f"print(bench_large.build(__import__('pathlib').Path({str(path)!r}), {gb}))"
    return int(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gb", type=float, action="append", default=None)
    ap.add_argument("--markdown", type=Path)
    ap.add_argument("--no-verify", action="store_true")
    args = ap.parse_args()
    rows = []
    for gb in args.gb or [1.0]:
        with tempfile.TemporaryDirectory(prefix="onnxprune-large-") as tmp:
            src, out = Path(tmp) / "large.onnx", Path(tmp) / "pruned.onnx"
            size = _build_in_child(src, gb)
            wall, peak, code = run(src, out, ["--no-verify"] if args.no_verify else [])
            out_size = sum(p.stat().st_size for p in Path(tmp).glob("pruned.onnx*"))
            rows.append((size, out_size, wall, peak, code))
            print(f"model {size / 2**30:.2f} GiB -> {out_size / 2**30:.2f} GiB: {wall:.1f} s, peak RSS "
                  f"{peak / 2**30:.2f} GiB ({peak / size:.2f}x model), exit {code}", flush=True)
    if args.markdown:
        _markdown(args.markdown, rows, args.no_verify)
    return 0 if all(r[4] == 0 for r in rows) else 1


def _markdown(path: Path, rows, no_verify: bool) -> None:
    lines = ["| model (weights) | pruned | wall time | peak RSS | peak / model |", "|---:|---:|---:|---:|---:|"]
    for size, out_size, wall, peak, code in rows:
        lines.append(f"| {size / 2**30:.2f} GiB | {out_size / 2**30:.2f} GiB | {wall:.1f} s | "
                     f"{peak / 2**30:.2f} GiB | {peak / size:.2f}x |" + ("" if code == 0 else " (failed)"))
    path.write_text("\n".join(lines) + f"\n\nverification {'off' if no_verify else 'on'}; {platform.processor()}\n")


if __name__ == "__main__":
    sys.exit(main())
