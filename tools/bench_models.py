"""Build the benchmark models (full-size reference architectures) as ONNX files in a local cache.

    python tools/bench_models.py [NAME ...] [--cache-dir DIR] [--force]     prints ``name path size``
    from bench_models import build; path = build("resnet50")

Models (``MODELS``): ``resnet50`` — ``refarch.resnet50(num_classes=1000, width=64)``, the torchvision v1.5
ImageNet layout with seeded random weights and random BatchNorm statistics (``refarch.randomize_bn``, applied
by the builder), eval mode. Exported with the TorchScript exporter (``dynamo=False``, opset 17, constant
folding on, so eval-mode BN is folded into the Convs) at 1x3x224x224, input ``input``, output ``output``,
with a dynamic batch axis ``batch`` on both. The IR version is capped at 10 (onnxruntime 1.31 refuses newer).

Cache: ``--cache-dir``, else ``$ONNXPRUNE_BENCH_CACHE``, else ``~/.cache/onnxprune/bench``; a model is
written as ``<cache>/<name>.onnx`` atomically and reused when present (``--force`` rebuilds). Building is
deterministic for a given torch version. Exit codes: 0 ok, 1 error (one-line message), 2 usage.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import onnx
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import refarch  # noqa: E402  (sibling module, tools/ is not a package)

OPSET = 17
MAX_IR_VERSION = 10  # onnxruntime 1.31 refuses IR 14
SEED = 0


@dataclass(frozen=True)
class BenchModel:
    """A reference architecture and the input shape it is exported at (batch axis exported dynamic)."""

    builder: Callable[..., torch.nn.Module]
    kwargs: tuple[tuple[str, object], ...]
    input_shape: tuple[int, ...]


MODELS = {
    "resnet50": BenchModel(refarch.resnet50, (("num_classes", 1000), ("width", 64)), (1, 3, 224, 224)),
}


class BuildError(Exception):
    """A benchmark model could not be built; the message says what to do."""


def default_cache_dir() -> Path:
    env = os.environ.get("ONNXPRUNE_BENCH_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "onnxprune" / "bench"


def build(name: str, cache_dir: str | Path | None = None, *, force: bool = False) -> Path:
    """Return the path of benchmark model ``name``, exporting it first unless it is already cached."""
    if name not in MODELS:
        raise BuildError(f"unknown benchmark model {name!r}; known: {', '.join(MODELS)}")
    cache = Path(cache_dir).expanduser() if cache_dir else default_cache_dir()
    path = cache / f"{name}.onnx"
    if path.is_file() and not force:
        return path
    cache.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".onnx.tmp{os.getpid()}")
    try:
        export(MODELS[name], tmp)
        tmp.replace(path)  # atomic: a concurrent reader never sees a partial file
    finally:
        tmp.unlink(missing_ok=True)
    return path


def export(spec: BenchModel, path: Path) -> None:
    """Build ``spec`` (seed ``SEED``, eval mode) and export it to ``path``, self-contained, IR <= 10."""
    model = spec.builder(**dict(spec.kwargs), seed=SEED).eval()
    x = torch.randn(spec.input_shape, generator=torch.Generator().manual_seed(SEED))
    axes = {"input": {0: "batch"}, "output": {0: "batch"}}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the TorchScript exporter is deprecated; it is the one we want
        torch.onnx.export(model, (x,), str(path), dynamo=False, opset_version=OPSET,
                          input_names=["input"], output_names=["output"], dynamic_axes=axes)
    proto = onnx.load_model(str(path))
    if proto.ir_version > MAX_IR_VERSION:
        proto.ir_version = MAX_IR_VERSION
        onnx.save_model(proto, str(path), save_as_external_data=False)
    onnx.checker.check_model(str(path), full_check=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", help=f"models to build (default: all): {', '.join(MODELS)}")
    ap.add_argument("--cache-dir", type=Path, default=None,
                    help="cache directory (default: $ONNXPRUNE_BENCH_CACHE or ~/.cache/onnxprune/bench)")
    ap.add_argument("--force", action="store_true", help="rebuild even when the model is cached")
    args = ap.parse_args(argv)
    try:
        for name in args.names or list(MODELS):
            path = build(name, args.cache_dir, force=args.force)
            print(f"{name} {path} {path.stat().st_size}")
    except (BuildError, OSError, onnx.checker.ValidationError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
