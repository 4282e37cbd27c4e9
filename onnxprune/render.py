"""Human-readable output for the CLI (rich tables on stderr-free stdout)."""
from __future__ import annotations

import json
from dataclasses import asdict

from rich.console import Console
from rich.table import Table

from .analysis import Analysis
from .flops import model_flops
from .report import Report, group_rows, pin_summary, preflight

console = Console(stderr=True)
out = Console(highlight=False)


def _num(x: float) -> str:
    for unit, div in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(x) >= div:
            return f"{x / div:.2f}{unit}"
    return f"{x:.0f}"


def print_report(r: Report, src, dst) -> None:
    t = Table(title=f"{src} -> {dst}")
    for col in ("", "before", "after", "ratio"):
        t.add_column(col, justify="right")
    t.add_row("FLOPs (MACs)", _num(r.flops_before), _num(r.flops_after), f"{r.flops_ratio:.3f}")
    t.add_row("params", _num(r.params_before), _num(r.params_after), f"{r.params_after / max(r.params_before, 1):.3f}")
    if r.bytes_before:
        t.add_row("file size", _num(r.bytes_before) + "B", _num(r.bytes_after) + "B",
                  f"{r.bytes_after / r.bytes_before:.3f}")
    t.add_row("channels", str(r.channels_before), str(r.channels_before - r.channels_removed), "")
    out.print(t)
    out.print(f"groups pruned {r.groups_pruned} of {r.groups_prunable} prunable ({r.groups_total} in all); "
              + (f"target FLOPs {r.target_flops:g}, reached {r.flops_ratio:.4f}" if r.latency_ratio is None else
                 f"measured latency ratio {r.latency_ratio:.3f} (onnxruntime CPU, interleaved)"))
    if r.drift_max_abs is None and r.seconds.get("verify") is not None:
        out.print("verified with onnxruntime: checker passed, output shapes equal (drift not measured for "
                  "models over 1 GiB)")
    if r.drift_max_abs is not None:
        out.print(f"verified with onnxruntime: output shapes equal, drift max |d| {r.drift_max_abs:.4g} "
                  f"(relative {r.drift_rel:.3g}, no fine-tuning)")
    _print_pins(r.pinned_channels, r.pin_reasons, r.pinned_flops_share)


def _print_pins(pinned: int, reasons, share: float) -> None:
    out.print(f"pinned channels: {pinned} (FLOPs in unprunable layers: {share:.1%})")
    for reason, n in reasons[:8]:
        out.print(f"  {n:6d}  {reason}")
    if len(reasons) > 8:
        out.print(f"  ... {len(reasons) - 8} more reasons (see --report)")


def print_analysis(a: Analysis, as_json: bool = False) -> None:
    rows = group_rows(a)
    pinned, reasons = pin_summary(a)
    pre = preflight(a)
    if as_json:
        out.print_json(json.dumps({"flops": model_flops(a), "groups": [asdict(r) for r in rows],
                                   "pinned_channels": pinned, **pre,
                                   "pin_reasons": [{"reason": r, "channels": n} for r, n in reasons]}))
        return
    t = Table(title=f"channel groups ({len(rows)}; {sum(r.prunable for r in rows)} prunable)")
    for col in ("id", "width", "prunable", "tensors", "why pinned"):
        t.add_column(col)
    for r in rows:
        tensors = ", ".join(r.tensors[:3]) + (f" (+{len(r.tensors) - 3})" if len(r.tensors) > 3 else "")
        t.add_row(str(r.id), str(r.width), "yes" if r.prunable else "no", tensors, (r.reasons or [""])[0])
    out.print(t)
    out.print(f"FLOPs (MACs): {_num(model_flops(a))}")
    unsupported = ", ".join(f"{op} x{n}" for op, n in pre["unsupported_ops"].items()) or "none"
    out.print(f"ops without a handler (their channels are pinned): {unsupported}")
    out.print(f"tensors with dynamic channel dims: {len(pre['dynamic_channels'])}"
              + (f" ({', '.join(pre['dynamic_channels'][:5])})" if pre["dynamic_channels"] else ""))
    _print_pins(pinned, reasons, pre["pinned_flops_share"])
