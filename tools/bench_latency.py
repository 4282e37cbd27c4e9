"""Benchmark original vs pruned ONNX models on onnxruntime CPU, interleaved in one process.

    python tools/bench_latency.py ORIG.onnx PRUNED.onnx [--threads 1] [--batch 1] [--rounds 30] [--warmup 5]
    python tools/bench_latency.py A.onnx A_pruned.onnx B.onnx B_pruned.onnx \\
        --report a_report.json --report b_report.json --markdown docs/latency.md

Models are given as (original, pruned) pairs. Each model gets its own session configured as a user would
deploy it: ``intra_op_num_threads=--threads``, ``inter_op_num_threads=1``, ``ORT_SEQUENTIAL``, graph
optimisations ``ORT_ENABLE_ALL``. After ``--warmup`` untimed runs of each, runs alternate original,
pruned, original, pruned, ... for ``--rounds`` rounds, so drift in machine load hits both equally.

Inputs are random (seeded) with the original model's input shapes: a symbolic first dim becomes
``--batch``; any other symbolic dim needs ``--shape NAME=1x3x224x224``. Both models get the same arrays.

The latency ratio is median(pruned) / median(original): below 1.0 means the pruned model is faster.
The FLOPs ratio comes from ``--flops-ratio`` or from a report JSON's ``flops_ratio`` key (``--report``),
one per pair, in order. Exit codes: 0 ok, 1 error (one-line message), 2 usage.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort

DTYPES = {
    "tensor(float)": np.float32, "tensor(float16)": np.float16, "tensor(double)": np.float64,
    "tensor(int64)": np.int64, "tensor(int32)": np.int32, "tensor(uint8)": np.uint8,
    "tensor(int8)": np.int8, "tensor(bool)": np.bool_,
}


class BenchError(Exception):
    """A problem with the user's models or options; the message says what to do."""


@dataclass(frozen=True)
class PairResult:
    name: str
    flops_ratio: float | None
    orig_ms: list[float]
    pruned_ms: list[float]

    @property
    def ratio(self) -> float:
        return statistics.median(self.pruned_ms) / statistics.median(self.orig_ms)


def make_session(path: Path, threads: int) -> ort.InferenceSession:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.log_severity_level = 3  # errors only: keep the timing output readable
    if not path.is_file():
        raise BenchError(f"{path}: no such model file")
    try:
        return ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])
    except Exception as e:  # onnxruntime raises several unrelated types; re-raise as one
        raise BenchError(f"{path}: onnxruntime cannot load it: {str(e).splitlines()[0]}") from e


def resolve_shape(name: str, dims: list, batch: int, overrides: dict[str, tuple[int, ...]]) -> tuple[int, ...]:
    """Concrete shape for input ``name``: an override, else static dims with a symbolic dim 0 -> batch."""
    if name in overrides:
        return overrides[name]
    shape = []
    for axis, dim in enumerate(dims):
        if isinstance(dim, int) and dim > 0:
            shape.append(dim)
        elif axis == 0:
            shape.append(batch)
        else:
            hint = "x".join(str(d) if isinstance(d, int) and d > 0 else f"<d{i}>" for i, d in enumerate(dims))
            raise BenchError(f"input '{name}' has dynamic dim {axis} ({dim!r}) in {dims}; "
                             f"pass --shape {name}={hint} with concrete sizes")
    return tuple(shape)


def make_inputs(sess: ort.InferenceSession, *, batch: int, overrides: dict, seed: int) -> dict[str, np.ndarray]:
    """Seeded random feeds: standard normal for floats, small non-negative values for integer inputs."""
    rng = np.random.default_rng(seed)
    feeds = {}
    for inp in sess.get_inputs():
        dtype = DTYPES.get(inp.type)
        if dtype is None:
            raise BenchError(f"input '{inp.name}' has unsupported type {inp.type}")
        shape = resolve_shape(inp.name, list(inp.shape), batch, overrides)
        if np.issubdtype(dtype, np.floating):
            feeds[inp.name] = rng.standard_normal(shape).astype(dtype)
        else:
            feeds[inp.name] = rng.integers(0, 2, size=shape).astype(dtype)
    return feeds


def time_once(sess: ort.InferenceSession, feeds: dict) -> float:
    t0 = time.perf_counter()
    sess.run(None, feeds)
    return (time.perf_counter() - t0) * 1e3


def bench_pair(orig: Path, pruned: Path, args: argparse.Namespace, *, label: str,
               flops_ratio: float | None) -> PairResult:
    """Time one (original, pruned) pair with interleaved runs; returns per-run latencies in ms."""
    s_orig, s_pruned = make_session(orig, args.threads), make_session(pruned, args.threads)
    feeds = make_inputs(s_orig, batch=args.batch, overrides=args.shape, seed=args.seed)
    check_same_inputs(s_orig, s_pruned, feeds, pruned)
    for _ in range(args.warmup):
        time_once(s_orig, feeds)
        time_once(s_pruned, feeds)
    orig_ms, pruned_ms = [], []
    for _ in range(args.rounds):
        orig_ms.append(time_once(s_orig, feeds))
        pruned_ms.append(time_once(s_pruned, feeds))
    return PairResult(label, flops_ratio, orig_ms, pruned_ms)


def check_same_inputs(s_orig: ort.InferenceSession, s_pruned: ort.InferenceSession, feeds: dict, path: Path) -> None:
    names = {i.name for i in s_pruned.get_inputs()}
    if names != set(feeds):
        raise BenchError(f"{path}: inputs {sorted(names)} differ from the original's {sorted(feeds)}")


def flops_ratios(args: argparse.Namespace, n_pairs: int) -> list[float | None]:
    """One FLOPs ratio (or None) per pair, from --flops-ratio or --report JSON files."""
    if args.flops_ratio and args.report:
        raise BenchError("give either --flops-ratio or --report, not both")
    if args.report:
        values = [read_report(Path(p)) for p in args.report]
    else:
        values = list(args.flops_ratio or [])
    if values and len(values) != n_pairs:
        raise BenchError(f"got {len(values)} FLOPs ratio(s) for {n_pairs} model pair(s); give one per pair")
    return values or [None] * n_pairs


def read_report(path: Path) -> float:
    try:
        return float(json.loads(path.read_text())["flops_ratio"])
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise BenchError(f"{path}: cannot read key 'flops_ratio' from report JSON ({e})") from e


def summary(ms: list[float]) -> str:
    return f"{statistics.median(ms):.3f} ({min(ms):.3f}–{max(ms):.3f})"


def format_line(r: PairResult) -> str:
    flops = f", FLOPs ratio {r.flops_ratio:.3f}" if r.flops_ratio is not None else ""
    return (f"{r.name}: original {summary(r.orig_ms)} ms, pruned {summary(r.pruned_ms)} ms, "
            f"latency ratio {r.ratio:.3f}{flops}")


def format_markdown(results: list[PairResult], args: argparse.Namespace) -> str:
    head = (f"onnxruntime {ort.__version__} CPU, {cpu_name()}; intra_op_num_threads={args.threads}, "
            f"batch {args.batch}, {args.rounds} interleaved rounds after {args.warmup} warm-up, ORT_ENABLE_ALL. "
            "Latency: median (min–max) ms; ratio = median pruned / median original.")
    rows = ["| Model | FLOPs ratio | Original ms | Pruned ms | Latency ratio |", "|---|---:|---:|---:|---:|"]
    for r in results:
        flops = f"{r.flops_ratio:.3f}" if r.flops_ratio is not None else "–"
        rows.append(f"| {r.name} | {flops} | {summary(r.orig_ms)} | {summary(r.pruned_ms)} | {r.ratio:.3f} |")
    return head + "\n\n" + "\n".join(rows) + "\n"


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def parse_shape(text: str) -> tuple[str, tuple[int, ...]]:
    name, sep, dims = text.rpartition("=")
    try:
        shape = tuple(int(d) for d in dims.lower().split("x"))
    except ValueError:
        shape = ()
    if not sep or not name or not shape or min(shape) < 1:
        raise argparse.ArgumentTypeError(f"expected NAME=1x3x224x224, got {text!r}")
    return name, shape


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description="Interleaved onnxruntime CPU latency: original vs pruned.")
    ap.add_argument("models", nargs="+", type=Path, help="ORIG PRUNED [ORIG PRUNED ...]")
    ap.add_argument("--threads", type=int, default=1, help="intra_op_num_threads (default 1)")
    ap.add_argument("--batch", type=int, default=1, help="value for a symbolic batch dim (default 1)")
    ap.add_argument("--rounds", type=int, default=30, help="timed runs per model (default 30)")
    ap.add_argument("--warmup", type=int, default=5, help="untimed runs per model first (default 5)")
    ap.add_argument("--seed", type=int, default=0, help="seed for the random inputs (default 0)")
    ap.add_argument("--shape", type=parse_shape, action="append", default=[],
                    help="input shape override NAME=1x3x224x224 (repeatable)")
    ap.add_argument("--flops-ratio", type=float, action="append", help="FLOPs ratio, one per pair")
    ap.add_argument("--report", action="append", help="report JSON with key flops_ratio, one per pair")
    ap.add_argument("--label", action="append", help="model name for the output, one per pair "
                    "(default: the original's file stem)")
    ap.add_argument("--markdown", type=Path, help="write a markdown table to this file")
    args = ap.parse_args(argv)
    if len(args.models) % 2:
        ap.error("models must come in pairs: ORIG PRUNED [ORIG PRUNED ...]")
    if args.label and len(args.label) != len(args.models) // 2:
        ap.error("give one --label per model pair")
    if min(args.threads, args.batch, args.rounds) < 1 or args.warmup < 0:
        ap.error("--threads, --batch and --rounds must be >= 1, --warmup >= 0")
    args.shape = dict(args.shape)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    pairs = list(zip(args.models[0::2], args.models[1::2]))
    try:
        ratios = flops_ratios(args, len(pairs))
        labels = args.label or [orig.stem for orig, _ in pairs]
        results = []
        for (orig, pruned), label, flops in zip(pairs, labels, ratios):
            results.append(bench_pair(orig, pruned, args, label=label, flops_ratio=flops))
            print(format_line(results[-1]), flush=True)
    except BenchError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(format_markdown(results, args))
        print(f"wrote {args.markdown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
