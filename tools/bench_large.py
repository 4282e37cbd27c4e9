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
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx
from onnx import helper, numpy_helper

FEATURES = 64 * 32 * 32


def build(path: Path, gigabytes: float, seed: int = 0) -> int:
    """Write the model with its weights in ``path.name + '.data'``; returns the data size in bytes."""
    rng = np.random.default_rng(seed)
    hidden = max(16, int(gigabytes * 2**30 / (FEATURES * 4)) // 16 * 16)

    def w(name, *shape):
        return numpy_helper.from_array((rng.standard_normal(shape, dtype=np.float32)
                                        * np.float32(shape[1] if len(shape) > 1 else 1) ** -0.5), name)
    inits = [w("c1", 64, 3, 3, 3), w("c2", 64, 64, 3, 3), w("g1", FEATURES, hidden), w("g2", hidden, 10)]
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
    onnx.save_model(model, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
                    location=path.name + ".data")
    return (path.parent / (path.name + ".data")).stat().st_size


def run(path: Path, out: Path, extra: list[str]) -> tuple[float, float, int]:
    """(wall seconds, peak RSS bytes, exit code) of one CLI run in a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "onnxprune.cli", str(path), str(out), "--target-flops", "0.5",
                           *extra], capture_output=True, text=True)
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if proc.returncode:
        print(proc.stderr.strip(), file=sys.stderr)
    return wall, max(peak, before) * 1024, proc.returncode


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
            size = build(src, gb)
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
