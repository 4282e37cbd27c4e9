"""Measure how ``--round-to`` affects onnxruntime CPU latency of pruned models, to choose its default.

    python tools/bench_rounding.py [--models resnet50 mnist_resnet] [--round-to 1 4 8 16 32] \\
        [--target-flops 0.5 ...] [--rounds N] [--threads 1] [--seed 0] [--work-dir DIR] \\
        [--markdown FILE] [--json FILE] [--plot FILE.png]

For each model, the original is pruned once per (``--target-flops``, ``--round-to``) pair with the
``onnxprune`` CLI (default tolerance 1%; when a setting cannot reach its target within 1% it is pruned again
with ``--tolerance 0.02`` and the table says so; any other failure is listed with onnxprune's exact message).
Then the original and every pruned variant are timed in one process, interleaved: each round runs every
model once, in a freshly shuffled (seeded) order, so drift in machine load hits all of them alike. Sessions,
inputs and timing come from ``tools/bench_latency.py`` (``--threads`` intra-op threads, ORT_ENABLE_ALL,
batch 1, seeded random inputs).

Latency ratio = median(pruned) / median(original), as in bench_latency.py. The "per-round ratio" column is
the median and 25th–75th percentile of the per-round ratios pruned_r / original_r: a noise yardstick — two
settings whose ranges overlap are not clearly different. ``--plot`` draws latency ratio against FLOPs ratio
(one series per model and round_to) with the ideal diagonal. Exit codes: 0 ok (settings that failed to prune
are listed, not fatal), 1 error (one-line message), 2 usage.
"""

from __future__ import annotations

import argparse
import json
import random
import shlex
import shutil
import statistics
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import onnxruntime as ort

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_latency as bl  # noqa: E402  (sibling module, tools/ is not a package)
import bench_models  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
# name -> (how to get the file, default timed rounds); the rounds keep each model to about a minute
MODELS = {
    "resnet50": (lambda: bench_models.build("resnet50"), 100),
    "mnist_resnet": (lambda: REPO / "models" / "mnist_resnet.onnx", 300),
}
ROUND_TOS = (1, 4, 8, 16, 32)
FALLBACK_TOLERANCE = 0.02
UNREACHABLE = "cannot be met within"  # in onnxprune's TargetUnreachableError message


@dataclass
class Variant:
    """The original (``round_to=None``) or one pruned variant of a model, and its timings in ms."""

    target: float | None
    round_to: int | None
    path: Path | None  # None: pruning failed
    command: str = ""
    tolerance: float | None = None  # None: onnxprune's default (0.01)
    flops_ratio: float | None = None
    off_grid: tuple[int, int] | None = None  # prunable groups whose kept width is not a multiple of (4, 16)
    error: str | None = None
    ms: list[float] = field(default_factory=list)


def onnxprune_exe() -> str:
    exe = shutil.which("onnxprune")
    if exe is None:
        raise bl.BenchError("the 'onnxprune' command is not on PATH; run 'pip install -e .' in the repository")
    return exe


def prune(model: Path, out_dir: Path, target: float, round_to: int) -> Variant:
    """Prune ``model`` with the CLI; retry once at 2% tolerance when 1% is unreachable."""
    out = out_dir / f"{model.stem}_t{target:g}_rt{round_to}.onnx"
    report = out.with_suffix(".json")
    base = [onnxprune_exe(), str(model), str(out), "--target-flops", f"{target:g}",
            "--round-to", str(round_to), "--report", str(report)]
    variant = Variant(target, round_to, out)
    for extra in ([], ["--tolerance", f"{FALLBACK_TOLERANCE:g}"]):
        cmd = base + extra
        proc = subprocess.run(cmd, capture_output=True, text=True)
        variant.command = shlex.join(["onnxprune"] + cmd[1:])
        if proc.returncode == 0:
            variant.tolerance, variant.error = (FALLBACK_TOLERANCE if extra else None), None
            read_report(variant, report)
            return variant
        variant.error = tail(proc.stderr) or f"exit code {proc.returncode}, no message"
        if UNREACHABLE not in proc.stderr:
            break
    variant.path = None
    return variant


def tail(text: str) -> str:
    """The last lines of stderr (the CLI's one-line message, possibly wrapped), joined into one."""
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return " ".join(lines[-3:])


def read_report(variant: Variant, report: Path) -> None:
    data = json.loads(report.read_text())
    variant.flops_ratio = float(data["flops_ratio"])
    kept = [g["kept"] for g in data.get("groups", []) if g.get("prunable")]
    variant.off_grid = (sum(k % 4 != 0 for k in kept), sum(k % 16 != 0 for k in kept))


def measure(variants: list[Variant], *, rounds: int, warmup: int, threads: int, seed: int) -> None:
    """Time every variant that has a file, interleaved, in a shuffled order per round; fills ``.ms``."""
    live = [v for v in variants if v.path is not None]
    sessions = [bl.make_session(v.path, threads) for v in live]
    feeds = bl.make_inputs(sessions[0], batch=1, overrides={}, seed=seed)
    for v, s in zip(live[1:], sessions[1:]):
        bl.check_same_inputs(sessions[0], s, feeds, v.path)
    for _ in range(warmup):
        for s in sessions:
            bl.time_once(s, feeds)
    order = list(range(len(live)))
    rng = random.Random(seed)
    for _ in range(rounds):
        rng.shuffle(order)
        for i in order:
            live[i].ms.append(bl.time_once(sessions[i], feeds))


def ratio(orig: Variant, v: Variant) -> float:
    return statistics.median(v.ms) / statistics.median(orig.ms)


def paired(orig: list[float], pruned: list[float]) -> str:
    """Median (25th–75th percentile) of the per-round ratios pruned_r / original_r."""
    q = statistics.quantiles([p / o for o, p in zip(orig, pruned)], n=4)
    return f"{q[1]:.3f} ({q[0]:.3f}–{q[2]:.3f})"


def table(name: str, variants: list[Variant], rounds: int) -> str:
    """Markdown table for one model: the original in the heading, then one row per pruned variant."""
    orig = variants[0]
    rows = [f"**{name}** ({rounds} rounds) — original: {bl.summary(orig.ms)} ms", "",
            "| target | round_to | FLOPs ratio | latency ratio | per-round ratio | median ms (min–max) "
            "| widths not ×4 / ×16 |", "|---:|---:|---:|---:|---:|---:|---:|"]
    for v in variants[1:]:
        if v.path is None:
            rows.append(f"| {v.target:g} | {v.round_to} | – | prune failed | – | – | – |")
            continue
        tol = f" (tol {v.tolerance:g})" if v.tolerance else ""
        rows.append(f"| {v.target:g} | {v.round_to} | {v.flops_ratio:.3f}{tol} | {ratio(orig, v):.3f} | "
                    f"{paired(orig.ms, v.ms)} | {bl.summary(v.ms)} | {v.off_grid[0]} / {v.off_grid[1]} |")
    return "\n".join(rows) + "\n"


def run_model(name: str, args: argparse.Namespace) -> tuple[list[Variant], int]:
    """Prune ``name`` at every setting, then time all variants together; returns them and the rounds."""
    path = Path(MODELS[name][0]())
    out_dir = args.work_dir / name
    out_dir.mkdir(parents=True, exist_ok=True)
    variants = [Variant(None, None, path)]
    for target in args.target_flops:
        for rt in args.round_to:
            v = prune(path, out_dir, target, rt)
            variants.append(v)
            status = f"FLOPs ratio {v.flops_ratio:.4f}" if v.path else f"FAILED: {v.error}"
            print(f"{name} target={target:g} round_to={rt}: {status}\n  $ {v.command}", flush=True)
    rounds = args.rounds or MODELS[name][1]
    measure(variants, rounds=rounds, warmup=args.warmup, threads=args.threads, seed=args.seed)
    return variants, rounds


def plot(results: dict[str, list[Variant]], path: Path, title: str) -> None:
    """Latency ratio vs FLOPs ratio, one series per (model, round_to), with the ideal diagonal."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 5.2), dpi=110)
    markers, top = "os^Dvp", 1.0
    for (name, variants), color in zip(results.items(), ("tab:blue", "tab:orange", "tab:green")):
        orig = variants[0]
        rts = sorted({v.round_to for v in variants[1:] if v.path})
        for rt, marker in zip(rts, markers):
            pts = sorted((v.flops_ratio, ratio(orig, v)) for v in variants[1:] if v.path and v.round_to == rt)
            top = max(top, *(y for _, y in pts))
            ax.plot(*zip(*pts), marker=marker, color=color, alpha=1.0 if rt != 1 else 0.55,
                    linestyle="-" if rt != 1 else ":", label=f"{name}, round_to={rt}")
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="ideal (latency ∝ FLOPs)")
    ax.set(xlim=(0, 1.05), ylim=(0, top * 1.08), xlabel="FLOPs ratio (pruned / original)",
           ylabel="latency ratio (median pruned / median original)", title=title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="+", choices=list(MODELS), default=list(MODELS))
    ap.add_argument("--round-to", nargs="+", type=int, default=list(ROUND_TOS))
    ap.add_argument("--target-flops", nargs="+", type=float, default=[0.5])
    ap.add_argument("--rounds", type=int, default=None,
                    help="timed rounds (default per model: " +
                         ", ".join(f"{k} {v[1]}" for k, v in MODELS.items()) + ")")
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0, help="seed for the inputs and the run order")
    ap.add_argument("--work-dir", type=Path, default=bench_models.default_cache_dir() / "rounding",
                    help="where pruned models and reports go (default: <bench cache>/rounding)")
    ap.add_argument("--markdown", type=Path, help="write the tables to this file")
    ap.add_argument("--json", type=Path, help="write every variant's settings and raw timings here")
    ap.add_argument("--plot", type=Path, help="write a PNG of latency ratio vs FLOPs ratio here")
    args = ap.parse_args(argv)
    if min(args.round_to) < 1 or (args.rounds is not None and args.rounds < 2) or args.threads < 1:
        ap.error("--round-to values must be >= 1, --rounds >= 2, --threads >= 1")
    if not all(0 < t <= 1 for t in args.target_flops):
        ap.error("--target-flops values must be in (0, 1]")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    head = (f"onnxruntime {ort.__version__} CPU, {bl.cpu_name()}; intra_op_num_threads={args.threads}, batch 1, "
            "ORT_ENABLE_ALL, interleaved in shuffled order. Latency ratio = median pruned / median original; "
            "per-round ratio = median (25th–75th percentile) of pruned_r / original_r.\n")
    parts, results = [head], {}
    try:
        for name in args.models:
            results[name], rounds = run_model(name, args)
            parts.append(table(name, results[name], rounds))
            print("\n" + parts[-1], flush=True)
        if args.plot:
            plot(results, args.plot, f"onnxruntime CPU, {args.threads} thread, batch 1")
    except (bl.BenchError, bench_models.BuildError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    if args.markdown:
        args.markdown.write_text("\n".join(parts))
    if args.json:
        raw = {k: [asdict(v) | {"path": str(v.path) if v.path else None} for v in vs] for k, vs in results.items()}
        args.json.write_text(json.dumps(raw, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
