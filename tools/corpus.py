"""Prune a corpus of real and exported models at several targets and tabulate what happened.

    python tools/corpus.py [--only NAME ...] [--targets 0.7 0.5] [--rounds 20]
                           [--markdown docs/corpus.md] [--json corpus.json]

Models:
  real      every model of ``tools/fetch_models.py`` (PP-OCRv4 det/rec, PP-OCR cls, the ``light_*`` caffe2
            classics), with static input shapes from ``REAL_SHAPES`` (the PP-OCR inputs are dynamic);
  rand      each ``light_*`` model again as ``<name>_rand``, its constant 0.02 weight fills replaced by random
            values (``randomize_fills``), cached in the corpus cache: with constant weights every channel is
            identical and the oracle cannot see a wrong channel index;
  exported  every ``refarch.CORPUS_ARCHS`` architecture, exported with the TorchScript exporter
            (``dynamo=False``, opset 17) and with the torch.export-based exporter (``dynamo=True``), cached as
            ``~/.cache/onnxprune/corpus/<arch>_<legacy|dynamo>.onnx`` (``--rebuild`` re-exports).

For every model and target: ``onnxprune.prune`` with default options. An ``OnnxPruneError`` gives the
status ``refused: <message>``; any other exception is a bug in onnxprune and gives ``CRASH: <type>: <message>
@ <innermost onnxprune frame>``. Then, for a pruned model: the full ONNX checker and an onnxruntime session
(valid), output shapes against the original (shapes), the achieved FLOPs ratio and whether it is within 1% of
the target, the zero-then-prune oracle (``onnxprune.verify.oracle_error``, ok at <= ``ORACLE_TOL`` absolute
or ``ORACLE_REL_TOL`` relative to the outputs' scale) on the outputs and on the logits feeding an output
Softmax/Sigmoid (which saturate on random feeds), the onnxruntime CPU latency ratio (1 thread, batch 1,
interleaved, ``tools/bench_latency.py``), the pinned FLOPs share and the two causes that pin the most channels.

``--only`` takes model names (``ppocr_cls``, ``light_vgg19``, ``resnet50_dynamo``) or architecture names
(``resnet50`` selects both exports, ``light_vgg19`` also selects ``light_vgg19_rand``). Exit codes: 0 when every
case was pruned correctly or refused, 1 when any case crashed, failed a check or missed its target, 2 usage.
"""

from __future__ import annotations

import argparse
import copy
import datetime
import json
import logging
import os
import subprocess
import platform
import re
import sys
import tempfile
import time
import traceback
import warnings
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import onnx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_latency  # noqa: E402  (sibling modules, tools/ is not a package)
import fetch_models  # noqa: E402
import refarch  # noqa: E402

import onnxprune  # noqa: E402
from onnxprune.importance import component_scores  # noqa: E402
from onnxprune.plan import make_plan  # noqa: E402
from onnxprune.rewrite import rewrite  # noqa: E402
from onnxprune.runtime import random_feeds, run  # noqa: E402
from onnxprune.verify import oracle_error, zero_consumers  # noqa: E402

CACHE = Path.home() / ".cache" / "onnxprune" / "corpus"
REAL_SHAPES = {"ppocrv4_det": (1, 3, 640, 640), "ppocrv4_rec": (1, 3, 48, 320), "ppocr_cls": (1, 3, 48, 192)}
EXPORTERS = ("legacy", "dynamo")
LEGACY_OPSET = 17
MAX_IR_VERSION = 10      # onnxruntime 1.31 refuses newer IR versions
ORACLE_TOL = 1e-4        # max abs error; or, for outputs far from unit scale,
ORACLE_REL_TOL = 1e-5    # max abs error / max |output| (float32 rounding is ~1e-6 relative here)
TARGET_TOL = 0.01        # relative, as PruneConfig.tolerance
LARGE_MACS = 1e9         # models above this many MACs get half the latency rounds
FAMILIES = {
    "ppocrv4_det": "PP-OCR (paddle2onnx)", "ppocrv4_rec": "PP-OCR (paddle2onnx)",
    "ppocr_cls": "PP-OCR (paddle2onnx)",
    "light_resnet50": "ResNet", "resnet50": "ResNet",
    "light_bvlc_alexnet": "plain CNN (AlexNet, ZFNet, VGG)", "light_zfnet512": "plain CNN (AlexNet, ZFNet, VGG)",
    "light_vgg19": "plain CNN (AlexNet, ZFNet, VGG)",
    "light_densenet121": "DenseNet", "densenet_like": "DenseNet",
    "light_inception_v1": "Inception", "light_inception_v2": "Inception",
    "light_squeezenet": "SqueezeNet", "light_shufflenet": "ShuffleNet",
    "mobilenetv2": "MobileNet / EfficientNet", "mobilenetv3_small": "MobileNet / EfficientNet",
    "efficientnet_b0_like": "MobileNet / EfficientNet",
    "convnext_like": "ConvNeXt", "regnet_like": "RegNet", "yolov8_like": "YOLOv8",
}
NOTES_MARKER = "<!-- notes: everything below this line is hand-written and kept when the file is regenerated -->"


@dataclass(frozen=True)
class CorpusModel:
    name: str                       # e.g. "ppocr_cls", "resnet50_dynamo"
    arch: str                       # key of FAMILIES
    source: str                     # "real", "rand" (real with random weights), "legacy" or "dynamo"
    path: Path | None               # None when the export failed
    input_shapes: dict[str, tuple[int, ...]] | None
    error: str = ""                 # why there is no path

    @property
    def family(self) -> str:
        return FAMILIES.get(self.arch, self.arch)


@dataclass
class Row:
    """One (model, target) case; None means "not measured" (the case was refused or crashed earlier)."""
    model: str
    family: str
    source: str
    target: float
    status: str = "ok"
    valid: bool | None = None
    shapes_equal: bool | None = None
    flops_ratio: float | None = None
    within_tol: bool | None = None
    oracle: float | None = None
    oracle_rel: float | None = None
    logit_oracle: float | None = None
    logit_rel: float | None = None
    oracle_note: str = ""
    latency_ratio: float | None = None
    orig_ms: float | None = None
    pruned_ms: float | None = None
    pinned_flops_share: float | None = None
    pin_reasons: list[tuple[str, int]] = field(default_factory=list)
    drift_rel: float | None = None
    seconds: float = 0.0
    traceback: str = ""

    @property
    def problems(self) -> list[str]:
        """Every way this case falls short, as one-line strings (empty when all is well)."""
        out = [] if self.status == "ok" else [self.status]
        if self.status != "ok":
            return out
        if not self.valid:
            out.append("pruned model is not valid (checker or onnxruntime)")
        if not self.shapes_equal:
            out.append("output shapes differ from the original's")
        if not self.within_tol:
            out.append(f"target missed: FLOPs ratio {self.flops_ratio:.4f} for target {self.target}")
        if not self.oracle_ok:
            detail = self.oracle_note or (
                f"max abs error {self.oracle:.3g} (relative {fmt(self.oracle_rel, '.2g')}); "
                f"logits {fmt(self.logit_oracle, '.3g')} (relative {fmt(self.logit_rel, '.2g')})")
            out.append(f"oracle failed: {detail}")
        return out

    @property
    def oracle_ok(self) -> bool:
        if self.oracle is None:
            return False
        logits_ok = self.logit_oracle is None or _close(self.logit_oracle, self.logit_rel)
        return _close(self.oracle, self.oracle_rel) and logits_ok


def _close(abs_err: float, rel_err: float | None) -> bool:
    return abs_err <= ORACLE_TOL or (rel_err is not None and rel_err <= ORACLE_REL_TOL)


# ------------------------------------------------------------------------------------------- models
def real_models(names: list[str] | None) -> list[CorpusModel]:
    """The fetch_models corpus (downloaded once into its cache)."""
    wanted = [n for n in fetch_models.KNOWN if names is None or n in names]
    if not wanted:
        return []
    paths = fetch_models.fetch(wanted)
    return [CorpusModel(n, n, "real", paths[n], _real_shapes(n, paths[n])) for n in wanted]


def _real_shapes(name: str, path: Path) -> dict[str, tuple[int, ...]] | None:
    if name not in REAL_SHAPES:
        return None
    graph = onnx.load(str(path), load_external_data=False).graph
    inits = {t.name for t in graph.initializer}
    first = next(i.name for i in graph.input if i.name not in inits)
    return {first: REAL_SHAPES[name]}


def randomized_models(names: list[str] | None) -> list[CorpusModel]:
    """The ``light_*`` models with random weights (``<name>_rand``, see :func:`randomize_fills`), cached."""
    out = []
    for n in fetch_models.KNOWN:
        if not n.startswith("light_") or (names is not None and n not in names and f"{n}_rand" not in names):
            continue
        path = CACHE / f"{n}_rand.onnx"
        if not path.is_file():
            CACHE.mkdir(parents=True, exist_ok=True)
            proto = randomize_fills(onnx.load(str(fetch_models.fetch([n])[n])))
            tmp = path.with_suffix(f".tmp{os.getpid()}.onnx")
            onnx.save_model(proto, str(tmp))
            tmp.replace(path)
        out.append(CorpusModel(f"{n}_rand", n, "rand", path, None))
    return out


def randomize_fills(model: onnx.ModelProto, seed: int = 0) -> onnx.ModelProto:
    """A copy whose ConstantOfShape weights become Constant nodes (same output name) with random values.

    The light_* fills are all 0.02: every channel computes the same thing, so an oracle cannot see a wrong
    channel index, and the softmax output is uniform. Values by use: Conv/Gemm weights He-normal over
    dims 1.., BatchNormalization scale and variance U(0.5, 1.5), everything else N(0, 0.1).
    """
    rng = np.random.default_rng(seed)
    shapes = {t.name: onnx.numpy_helper.to_array(t) for t in model.graph.initializer}
    use = {x: (n.op_type, i) for n in reversed(model.graph.node) for i, x in enumerate(n.input)}
    out = copy.deepcopy(model)
    for node in out.graph.node:
        if node.op_type != "ConstantOfShape" or node.input[0] not in shapes:
            continue
        shape = tuple(int(d) for d in shapes[node.input[0]])
        value = _random_value(rng, shape, use.get(node.output[0]))
        node.CopyFrom(onnx.helper.make_node("Constant", [], [node.output[0]], name=node.name,
                                            value=onnx.numpy_helper.from_array(value)))
    return out


def _random_value(rng: np.random.Generator, shape: tuple[int, ...], use: tuple[str, int] | None) -> np.ndarray:
    if use in (("Conv", 1), ("Gemm", 1)) and len(shape) >= 2:
        value = rng.standard_normal(shape) * np.sqrt(2.0 / np.prod(shape[1:]))
    elif use in (("BatchNormalization", 1), ("BatchNormalization", 4)):
        value = rng.uniform(0.5, 1.5, shape)
    else:
        value = rng.standard_normal(shape) * 0.1
    return value.astype(np.float32)


def exported_models(names: list[str] | None, rebuild: bool) -> list[CorpusModel]:
    """Both exports of every selected CORPUS_ARCHS architecture; a failed export keeps its error."""
    out = []
    for arch in refarch.CORPUS_ARCHS:
        for exporter in EXPORTERS:
            name = f"{arch}_{exporter}"
            if names is not None and arch not in names and name not in names:
                continue
            try:
                out.append(CorpusModel(name, arch, exporter, export(arch, exporter, rebuild), None))
            except Exception as e:  # an exporter failure is not an onnxprune bug: record it, go on
                out.append(CorpusModel(name, arch, exporter, None, None, error=_one_line(e)))
    return out


def export(arch: str, exporter: str, rebuild: bool = False) -> Path:
    """Path of the cached export of ``arch``; exports it first (atomically) when absent or ``rebuild``."""
    path = CACHE / f"{arch}_{exporter}.onnx"
    if path.is_file() and not rebuild:
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    build, kwargs, shape = refarch.CORPUS_ARCHS[arch]
    model = build(**kwargs).eval()
    x = torch_randn(shape)
    tmp = path.with_suffix(f".tmp{os.getpid()}.onnx")
    try:
        _export_to(model, x, tmp, exporter)
        _cap_ir_and_check(tmp)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def torch_randn(shape: tuple[int, ...]):
    import torch
    return torch.randn(shape, generator=torch.Generator().manual_seed(0))


def _export_to(model, x, path: Path, exporter: str) -> None:
    import torch
    n_out = _num_outputs(model, x)
    outputs = ["output"] if n_out == 1 else [f"output{i}" for i in range(n_out)]
    logging.getLogger("torch.onnx").setLevel(logging.ERROR)  # "torchvision is not installed" x 4, etc.
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # both exporters warn a lot; the checker below is what counts
        if exporter == "legacy":
            torch.onnx.export(model, (x,), str(path), dynamo=False, opset_version=LEGACY_OPSET,
                              input_names=["input"], output_names=outputs)
        else:
            torch.onnx.export(model, (x,), str(path), dynamo=True, external_data=False, verbose=False,
                              input_names=["input"], output_names=outputs)


def _num_outputs(model, x) -> int:
    import torch
    with torch.no_grad():
        y = model(x)
    return len(y) if isinstance(y, (tuple, list)) else 1


def _cap_ir_and_check(path: Path) -> None:
    proto = onnx.load_model(str(path), load_external_data=True)
    proto.ir_version = min(proto.ir_version, MAX_IR_VERSION)
    onnx.save_model(proto, str(path), save_as_external_data=False)
    onnx.checker.check_model(str(path), full_check=True)


# -------------------------------------------------------------------------------------------- cases
def run_case(m: CorpusModel, target: float, rounds: int, workdir: Path) -> Row:
    """Prune ``m`` to ``target`` and measure everything a row holds; never raises."""
    row = Row(m.name, m.family, m.source, target)
    t0 = time.perf_counter()
    if m.path is None:
        row.status = f"export failed: {m.error}"
        return row
    cfg = onnxprune.PruneConfig(target_flops=target)
    result = _prune(m, cfg, row)
    if result is not None:
        try:
            _measure(row, m, cfg, result, workdir, rounds)
        except Exception as e:  # a check itself failed on the pruned model: report it, go on
            row.status = f"CRASH: while measuring: {type(e).__name__}: {_one_line(e)} @ {_where(e)}"
            row.traceback = traceback.format_exc()
    row.seconds = time.perf_counter() - t0
    return row


def _measure(row: Row, m: CorpusModel, cfg, result, workdir: Path, rounds: int) -> None:
    pruned_path = workdir / f"{m.name}_{row.target}.onnx"
    onnx.save_model(result.model, str(pruned_path), save_as_external_data=False)
    _fill_report(row, result.report)
    _check_pruned(row, m, pruned_path)
    _oracle(row, m, cfg, result)
    if row.valid:
        _latency(row, m, pruned_path, rounds if result.report.flops_before < LARGE_MACS else max(3, rounds // 2))
    pruned_path.unlink(missing_ok=True)


def _prune(m: CorpusModel, cfg, row: Row):
    try:
        return onnxprune.prune(str(m.path), config=cfg, input_shapes=m.input_shapes)
    except onnxprune.OnnxPruneError as e:
        row.status = f"refused: {_one_line(e)}"
    except Exception as e:  # anything else is an onnxprune bug: keep all of it
        row.status = f"CRASH: {type(e).__name__}: {_one_line(e)} @ {_where(e)}"
        row.traceback = traceback.format_exc()
    return None


def _fill_report(row: Row, report) -> None:
    row.flops_ratio = report.flops_ratio
    row.within_tol = abs(report.flops_ratio / row.target - 1) <= TARGET_TOL
    row.pinned_flops_share = report.pinned_flops_share
    row.pin_reasons = [(r, int(n)) for r, n in report.pin_reasons]
    row.drift_rel = report.drift_rel


def _check_pruned(row: Row, m: CorpusModel, pruned_path: Path) -> None:
    """valid: full checker + an onnxruntime session; shapes_equal: one run of both on the same feeds."""
    try:
        onnx.checker.check_model(str(pruned_path), full_check=True)
        s_pruned = bench_latency.make_session(pruned_path, 1)
        row.valid = True
    except Exception as e:
        row.valid = False
        row.status = f"CRASH: invalid pruned model: {_one_line(e)}"
        return
    s_orig = bench_latency.make_session(m.path, 1)
    feeds = bench_latency.make_inputs(s_orig, batch=1, overrides=m.input_shapes or {}, seed=0)
    before, after = s_orig.run(None, feeds), s_pruned.run(None, feeds)
    row.shapes_equal = [a.shape for a in before] == [b.shape for b in after]


def _oracle(row: Row, m: CorpusModel, cfg, result) -> None:
    """Re-plan (deterministic) to get the plan the API used, then the zero-then-prune oracle, on the
    outputs (``oracle_error``) and on the logits feeding an output Softmax/Sigmoid (see logit_names)."""
    try:
        a = onnxprune.analyze(str(m.path), input_shapes=m.input_shapes)
        plan = make_plan(a, component_scores(a, cfg.criterion, cfg.include_consumers), cfg)
        same = abs(plan.flops_after - result.report.flops_after) < 0.5
        pruned = result.model if same else rewrite(a, plan)
        row.oracle_note = "" if same else "re-planned (the API's plan could not be reproduced)"
        row.oracle = oracle_error(a, plan, pruned=pruned)
        _logit_oracle(row, a, plan, pruned)
    except Exception as e:
        row.oracle_note = f"oracle raised {type(e).__name__}: {_one_line(e)} @ {_where(e)}"
        row.traceback = traceback.format_exc()


def _logit_oracle(row: Row, a, plan, pruned: onnx.ModelProto) -> None:
    """Fill oracle_rel (oracle / max |output|) and the logit oracle, from one more run of each model."""
    n_out = len(a.graph.model.graph.output)
    extra = [t for t in logit_names(a.graph.model) if _has_tensor(pruned, t)]
    feeds = random_feeds(a.graph.model, a.graph.shapes, 0)
    want = run(with_outputs(zero_consumers(a, plan), extra), feeds, optimize=False)
    got = run(with_outputs(pruned, extra), feeds, optimize=False)
    row.oracle_rel = row.oracle / max(_scale(want[:n_out]), 1e-30)
    if extra:
        row.logit_oracle = max(float(np.max(np.abs(w.astype(np.float64) - g))) for w, g in
                               zip(want[n_out:], got[n_out:]))
        row.logit_rel = row.logit_oracle / max(_scale(want[n_out:]), 1e-30)


def _scale(arrays: list[np.ndarray]) -> float:
    return max((float(np.max(np.abs(x))) for x in arrays if x.size), default=0.0)


def logit_names(model: onnx.ModelProto) -> list[str]:
    """The input of each Softmax/Sigmoid (seen through Identity) that makes a graph output.

    Those outputs can saturate on random feeds (PP-OCR det: sigmoid map below 1e-3 everywhere; the
    light_* models: a uniform softmax), where an oracle on the outputs alone sees nothing.
    """
    producer = {o: n for n in model.graph.node for o in n.output}
    names = []
    for out in model.graph.output:
        node = producer.get(out.name)
        while node is not None and node.op_type == "Identity":
            node = producer.get(node.input[0])
        if node is not None and node.op_type in ("Softmax", "Sigmoid"):
            names.append(node.input[0])
    return names


def with_outputs(model: onnx.ModelProto, names: list[str]) -> onnx.ModelProto:
    """A copy of ``model`` with the tensors ``names`` appended as float graph outputs."""
    out = copy.deepcopy(model)
    out.graph.output.extend(onnx.helper.make_tensor_value_info(n, onnx.TensorProto.FLOAT, None) for n in names)
    return out


def _has_tensor(model: onnx.ModelProto, name: str) -> bool:
    return any(name in n.output for n in model.graph.node)


def _latency(row: Row, m: CorpusModel, pruned_path: Path, rounds: int) -> None:
    args = argparse.Namespace(threads=1, batch=1, shape=m.input_shapes or {}, seed=0,
                              warmup=max(2, rounds // 5), rounds=rounds)
    pair = bench_latency.bench_pair(m.path, pruned_path, args, label=m.name, flops_ratio=row.flops_ratio)
    row.latency_ratio = pair.ratio
    row.orig_ms = float(np.median(pair.orig_ms))
    row.pruned_ms = float(np.median(pair.pruned_ms))


def _one_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__


def _where(e: BaseException) -> str:
    """``file:line in function`` of the innermost onnxprune frame (else the innermost frame)."""
    frames = traceback.extract_tb(e.__traceback__)
    ours = [f for f in frames if f"{os.sep}onnxprune{os.sep}" in f.filename] or frames
    f = ours[-1]
    return f"{Path(f.filename).name}:{f.lineno} in {f.name}"


# ------------------------------------------------------------------------------------------ reasons
_GENERIC = "the handler does not define this output"   # the echo of a node's real reason on its output


def short_reason(reason: str, width: int = 90) -> str:
    """'node p2o.Softmax.2 (Softmax): normalises ...' -> 'Softmax: normalises ...', cut to ``width``."""
    text = re.sub(r"^node \S+ \(([^)]*)\)", r"\1", reason)
    text = re.sub(r"^graph (input|output) '[^']*'", r"graph \1", text)
    text = re.sub(r"^(\w+): \1 ", r"\1: ", text)  # 'LayerNormalization: LayerNormalization normalises'
    return text if len(text) <= width else text[: width - 1] + "…"


def pin_causes(pin_reasons: list[tuple[str, int]]) -> list[tuple[str, int, int]]:
    """(shortened cause, channels, nodes), most channels first.

    A node's reasons are merged first (a Softmax pins its input because it normalises over the channels
    and its output because the handler does not define it: one cause), then causes with the same text
    are summed over nodes (the three graph outputs of a detector: one cause).
    """
    per_node: dict[str, list] = {}
    for reason, n in pin_reasons:
        node = reason.split(":", 1)[0]
        entry = per_node.setdefault(node, [None, 0])
        if entry[0] is None or (_GENERIC in entry[0] and _GENERIC not in reason):
            entry[0] = reason
        entry[1] += n
    causes: dict[str, list[int]] = {}
    for reason, n in per_node.values():
        c = causes.setdefault(short_reason(reason, 10_000), [0, 0])
        c[0] += n
        c[1] += 1
    return sorted(((t, n, k) for t, (n, k) in causes.items()), key=lambda c: -c[1])


def family_causes(rows: list[Row]) -> dict[str, Counter]:
    """family -> pinned channels per cause, counting each model once."""
    out: dict[str, Counter] = {}
    seen = set()
    for r in rows:
        if not r.pin_reasons or r.model in seen:
            continue
        seen.add(r.model)
        counts = out.setdefault(r.family, Counter())
        for cause, n, _ in pin_causes(r.pin_reasons):
            counts[cause] += n
    return out


# ----------------------------------------------------------------------------------------- markdown
def fmt(value, spec: str = ".3f") -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "**no**"
    return format(value, spec)


def table(rows: list[Row]) -> str:
    head = ("| model | src | target | status | valid | shapes | FLOPs ratio | ±1% | oracle abs (rel) "
            "| logits abs (rel) | latency ratio (orig ms) | pinned FLOPs | top 2 pin causes (channels, nodes) |")
    lines = [head, "|---|---|---:|---|---|---|---:|---|---:|---:|---:|---:|---|"]
    for r in rows:
        status = r.status if r.status == "ok" else f"**{r.status.split(':')[0]}**"
        lat = "–" if r.latency_ratio is None else f"{r.latency_ratio:.3f} ({r.orig_ms:.1f})"
        reasons = "; ".join(f"{short_reason(t, 60)} ({n}, {k})" for t, n, k in pin_causes(r.pin_reasons)[:2])
        lines.append(f"| {r.model} | {r.source} | {r.target} | {status} | {fmt(r.valid)} | {fmt(r.shapes_equal)} "
                     f"| {fmt(r.flops_ratio, '.4f')} | {fmt(r.within_tol)} | {oracle_cell(r)} | {logit_cell(r)} "
                     f"| {lat} "
                     f"| {fmt(r.pinned_flops_share, '.1%')} | {reasons.replace('|', '/') or '–'} |")
    return "\n".join(lines)


def oracle_cell(r: Row) -> str:
    if r.oracle is None:
        return "–" if r.status != "ok" else "**failed**"
    text = f"{r.oracle:.1e} ({fmt(r.oracle_rel, '.0e')})"
    return text if _close(r.oracle, r.oracle_rel) else f"**{text}**"


def logit_cell(r: Row) -> str:
    if r.logit_oracle is None:
        return "–"
    text = f"{r.logit_oracle:.1e} ({fmt(r.logit_rel, '.0e')})"
    return text if _close(r.logit_oracle, r.logit_rel) else f"**{text}**"


def problems(rows: list[Row]) -> str:
    lines = [f"- `{r.model}` @ {r.target}: {p}" for r in rows for p in r.problems]
    return "\n".join(lines) if lines else "None."


def pin_paragraphs(rows: list[Row]) -> str:
    parts = []
    for family, counts in family_causes(rows).items():
        total = sum(counts.values())
        shares = [r.pinned_flops_share for r in rows if r.family == family and r.pinned_flops_share is not None]
        top = "; ".join(f"{reason} — {n} ({n / total:.0%})" for reason, n in counts.most_common(4))
        parts.append(f"- **{family}** (pinned FLOPs {min(shares):.1%}–{max(shares):.1%}): {top}.")
    return "\n".join(parts)


def machine() -> str:
    import onnxruntime
    import torch
    return (f"{bench_latency.cpu_name()}, {os.cpu_count()} CPU(s), {platform.system()} {platform.release()}; "
            f"Python {platform.python_version()}, onnx {onnx.__version__}, onnxruntime {onnxruntime.__version__}, "
            f"torch {torch.__version__}, onnxprune {onnxprune.__version__}")


def source_state() -> str:
    """The commit of the working tree, and whether onnxprune/ has uncommitted changes."""
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "onnxprune"], cwd=root, capture_output=True,
                               text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return f"commit {head}" + (" with uncommitted changes in onnxprune/" if dirty else "")


def method() -> str:
    """How each case is run and measured, as markdown bullets."""
    cfg = onnxprune.PruneConfig()
    shape = {name: "x".join(map(str, dims)) for name, dims in REAL_SHAPES.items()}
    return f"""- each case: `onnxprune.prune(path, config=PruneConfig(target_flops=T), input_shapes=...)`, other
  options default (round_to={cfg.round_to}, min_keep={cfg.min_keep}, criterion={cfg.criterion}); then the
  full checker + an onnxruntime session (valid), output shapes against the original, and the
  zero-then-prune oracle (`onnxprune.verify.oracle_error`): max abs error and, in brackets, that error over
  max |output| of the zeroed original. Ok at ≤ {ORACLE_TOL:g} absolute or ≤ {ORACLE_REL_TOL:g} relative; the
  second is for models whose outputs reach the hundreds, where float32 rounding alone gives ~1e-6 relative
  (onnxruntime's own optimised vs unoptimised runs of the *same* model differ more than the oracle there).
- logits: the same oracle on the input of each Softmax/Sigmoid that makes a graph output, exposed as an extra
  output of both models. On random feeds the PP-OCR det sigmoid map stays below 1e-3 and the `light_*`
  softmax is uniform or one-hot, so the output oracle alone would pass almost anything there.
- latency: onnxruntime CPU, 1 thread, batch 1, original and pruned interleaved
  (`tools/bench_latency.py`); ratio = median pruned / median original; in brackets the original's median ms.
- input shapes: PP-OCR det {shape['ppocrv4_det']}, rec {shape['ppocrv4_rec']}, cls {shape['ppocr_cls']};
  `light_*` 224x224; exports at their `refarch.CORPUS_ARCHS` shape (224x224, YOLOv8 320x320), static.
- `src`: `real` (`tools/fetch_models.py`), `rand` (a `light_*` model with its constant 0.02 weight fills
  replaced by random values: He-normal conv/Gemm weights, BN scale and variance U(0.5, 1.5), the rest
  N(0, 0.1); unnormalised, so activations grow to ~1e6 in the deep ones), `legacy` (TorchScript exporter,
  opset {LEGACY_OPSET}), `dynamo` (torch.export exporter, its default opset).
- pin causes: the report's `pin_reasons` merged per node (a Softmax's input and output are one cause),
  then summed over nodes with the same reason; channels are counted in every tensor they pin."""


def markdown(rows: list[Row], command: str, minutes: float, notes: str) -> str:
    return f"""# Corpus: pruning real and exported models

Generated by `tools/corpus.py` on {datetime.date.today().isoformat()} in {minutes:.1f} min.

- command: `{command}`
- machine: {machine()}
- source: {source_state()}
{method()}

{table(rows)}

## Problems (refused, crashed, target missed, oracle failed)

{problems(rows)}

## What pins the rest (pinned channels per cause, per family)

{pin_paragraphs(rows)}

{NOTES_MARKER}
{notes}"""


def kept_notes(path: Path | None) -> str:
    """The hand-written part of an existing markdown file (below NOTES_MARKER)."""
    if path is None or not path.is_file():
        return "\n## Notes\n\n(none yet)\n"
    text = path.read_text()
    return text.split(NOTES_MARKER, 1)[1].lstrip("\n") if NOTES_MARKER in text else "\n"


# --------------------------------------------------------------------------------------------- main
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="+", metavar="NAME", help="model or architecture names (default: all)")
    ap.add_argument("--targets", nargs="+", type=float, default=[0.7, 0.5], help="FLOPs targets (default 0.7 0.5)")
    ap.add_argument("--rounds", type=int, default=20,
                    help=f"latency rounds per model (default 20; half for models over {LARGE_MACS:.0e} MACs)")
    ap.add_argument("--markdown", type=Path, help="write the report here (hand-written notes below the marker "
                    "are kept)")
    ap.add_argument("--json", type=Path, help="write every row as JSON here")
    ap.add_argument("--rebuild", action="store_true", help="re-export the cached torch models")
    args = ap.parse_args(argv)
    if args.rounds < 1 or not all(0 < t <= 1 for t in args.targets):
        ap.error("--rounds must be >= 1 and every target in (0, 1]")
    return args


def select_models(args: argparse.Namespace) -> list[CorpusModel]:
    models = real_models(args.only) + randomized_models(args.only) + exported_models(args.only, args.rebuild)
    if args.only:
        known = {m.name for m in models} | {m.arch for m in models}
        unknown = [n for n in args.only if n not in known]
        if unknown:
            raise SystemExit(f"error: unknown model name(s) {', '.join(unknown)}")
    return models


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    command = "python tools/corpus.py " + " ".join(sys.argv[1:] if argv is None else argv)
    t0 = time.perf_counter()
    models = select_models(args)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for m in models:
            for target in args.targets:
                rows.append(run_case(m, target, args.rounds, Path(tmp)))
                r = rows[-1]
                print(f"{r.model:28s} {target:4} {r.seconds:6.1f}s  {'; '.join(r.problems) or 'ok'}", flush=True)
    minutes = (time.perf_counter() - t0) / 60
    print(table(rows))
    write_outputs(args, rows, command, minutes)
    return 1 if any(r.problems and not r.status.startswith(("refused", "export failed")) for r in rows) else 0


def write_outputs(args: argparse.Namespace, rows: list[Row], command: str, minutes: float) -> None:
    if args.markdown:
        text = markdown(rows, command, minutes, kept_notes(args.markdown))
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(text)
        print(f"wrote {args.markdown}")
    if args.json:
        args.json.write_text(json.dumps([asdict(r) | {"problems": r.problems} for r in rows], indent=1))
        print(f"wrote {args.json}")


if __name__ == "__main__":
    sys.exit(main())
