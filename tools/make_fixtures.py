"""Export the tiny reference architectures to ONNX test fixtures with both torch exporters.

Usage::

    python tools/make_fixtures.py [--out tests/fixtures] [--only NAME ...]

For every entry of ``refarch.TINY_ARCHS`` this writes ``<arch>_legacy.onnx`` (TorchScript exporter,
opset 13) and ``<arch>_dynamo.onnx`` (torch.export-based exporter, its default opset), plus
``resnet_basic_dynbatch_legacy.onnx`` with a dynamic batch axis. Each file is self-contained (weights
embedded), passes ``onnx.checker.check_model(full_check=True)``, loads in onnxruntime CPU and matches the
torch output within ``ATOL``. A table of file, size, IR/opset and op types is printed at the end.

Exit status: 0 when every fixture was written and verified, 1 otherwise.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import refarch  # noqa: E402  (sibling module, tools/ is not a package)

ATOL = 1e-4
MAX_IR_VERSION = 10  # onnxruntime 1.31 refuses IR 14, the default of onnx 1.23's make_model
LEGACY_OPSET = 13
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures"


@dataclass(frozen=True)
class Fixture:
    """One file to produce: which architecture, which exporter, and whether the batch axis is dynamic."""

    arch: str
    exporter: str  # "legacy" | "dynamo"
    dynamic_batch: bool = False

    @property
    def filename(self) -> str:
        suffix = "_dynbatch" if self.dynamic_batch else ""
        return f"{self.arch}{suffix}_{self.exporter}.onnx"


def all_fixtures() -> list[Fixture]:
    """Every fixture, in table order."""
    fixtures = [Fixture(arch, exp) for arch in refarch.TINY_ARCHS for exp in ("legacy", "dynamo")]
    fixtures.append(Fixture("resnet_basic", "legacy", dynamic_batch=True))
    return fixtures


def io_names(num_outputs: int) -> tuple[list[str], list[str]]:
    """``input`` and ``output`` (or ``output0``, ``output1``, ... for multi-output models)."""
    if num_outputs == 1:
        return ["input"], ["output"]
    return ["input"], [f"output{i}" for i in range(num_outputs)]


def export_legacy(model: torch.nn.Module, x: torch.Tensor, path: Path, dynamic_batch: bool) -> None:
    """TorchScript exporter, opset 13, constant folding on (folds eval-mode BN into the preceding Conv)."""
    inputs, outputs = io_names(_num_outputs(model, x))
    axes = {name: {0: "batch"} for name in inputs + outputs} if dynamic_batch else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the legacy exporter is deprecated; it is what we want to cover
        torch.onnx.export(model, (x,), str(path), dynamo=False, opset_version=LEGACY_OPSET,
                          input_names=inputs, output_names=outputs, dynamic_axes=axes)


def export_dynamo(model: torch.nn.Module, x: torch.Tensor, path: Path) -> None:
    """torch.export-based exporter at its default opset; re-saved so every weight is embedded."""
    inputs, outputs = io_names(_num_outputs(model, x))
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp) / path.name
        torch.onnx.export(model, (x,), str(tmp_path), dynamo=True, external_data=False, verbose=False,
                          input_names=inputs, output_names=outputs)
        proto = onnx.load_model(str(tmp_path), load_external_data=True)
    onnx.save_model(proto, str(path), save_as_external_data=False)


def _num_outputs(model: torch.nn.Module, x: torch.Tensor) -> int:
    with torch.no_grad():
        y = model(x)
    return len(y) if isinstance(y, (tuple, list)) else 1


def cap_ir_version(path: Path) -> int:
    """Lower the IR version to ``MAX_IR_VERSION`` if needed (rewrites the file); returns the final value."""
    proto = onnx.load_model(str(path))
    if proto.ir_version > MAX_IR_VERSION:
        proto.ir_version = MAX_IR_VERSION
        onnx.save_model(proto, str(path), save_as_external_data=False)
    return min(proto.ir_version, MAX_IR_VERSION)


def verify(path: Path, model: torch.nn.Module, x: torch.Tensor, batch: int) -> float:
    """Checker (full), onnxruntime CPU run, comparison with torch. Returns the max abs difference.

    With ``batch > 1`` the model is fed a batch of that size (exercises a dynamic batch axis).
    """
    onnx.checker.check_model(str(path), full_check=True)
    feed = x.repeat(batch, 1, 1, 1) + torch.linspace(0, 1, batch).view(-1, 1, 1, 1)
    with torch.no_grad():
        ref = model(feed)
    refs = ref if isinstance(ref, (tuple, list)) else (ref,)
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    got = sess.run(None, {sess.get_inputs()[0].name: feed.numpy()})
    if len(got) != len(refs):
        raise AssertionError(f"{path.name}: {len(got)} outputs from onnxruntime, {len(refs)} from torch")
    return max(float(np.abs(g - r.numpy()).max()) for g, r in zip(got, refs))


def describe(path: Path) -> dict:
    """Size, IR/opset, op-type counts and where the weights live, for the summary table."""
    proto = onnx.load_model(str(path))
    graph = proto.graph
    ops = Counter(n.op_type for n in graph.node)
    opset = next(o.version for o in proto.opset_import if o.domain in ("", "ai.onnx"))
    return {
        "size": path.stat().st_size, "ir": proto.ir_version, "opset": opset, "ops": ops,
        "initializers": len(graph.initializer),
        "dynamic": [d.dim_param for d in graph.input[0].type.tensor_type.shape.dim if d.dim_param],
    }


def make_one(fx: Fixture, out_dir: Path) -> tuple[dict, float]:
    """Build, export, cap IR, verify and describe one fixture."""
    build, kwargs, shape = refarch.TINY_ARCHS[fx.arch]
    model = build(**kwargs)
    x = torch.randn(shape, generator=torch.Generator().manual_seed(0))
    path = out_dir / fx.filename
    if fx.exporter == "legacy":
        export_legacy(model, x, path, fx.dynamic_batch)
    else:
        export_dynamo(model, x, path)
    cap_ir_version(path)
    diff = verify(path, model, x, batch=3 if fx.dynamic_batch else 1)
    if diff > ATOL:
        raise AssertionError(f"{path.name}: onnxruntime differs from torch by {diff:.2e} > {ATOL}")
    return describe(path), diff


def print_table(rows: list[tuple[str, dict, float]]) -> None:
    total = 0
    print(f"{'file':42s} {'bytes':>8s} {'ir':>3s} {'opset':>5s} {'inits':>5s} {'maxdiff':>8s}  ops")
    for name, info, diff in rows:
        total += info["size"]
        ops = ", ".join(f"{op}x{n}" for op, n in sorted(info["ops"].items()))
        print(f"{name:42s} {info['size']:8d} {info['ir']:3d} {info['opset']:5d} {info['initializers']:5d} "
              f"{diff:8.1e}  {ops}")
    print(f"{len(rows)} files, {total} bytes in total")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--only", nargs="*", default=None, help="architecture names to (re)export")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    rows, failures = [], []
    for fx in all_fixtures():
        if args.only and fx.arch not in args.only:
            continue
        try:
            info, diff = make_one(fx, args.out)
        except Exception as e:  # report every failing fixture, not just the first
            failures.append(f"{fx.filename}: {type(e).__name__}: {e}")
            continue
        rows.append((fx.filename, info, diff))
    print_table(rows)
    for line in failures:
        print("FAILED", line, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
