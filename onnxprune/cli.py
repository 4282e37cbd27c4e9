"""The ``onnxprune`` command: a thin shell over the Python API.

    onnxprune IN.onnx OUT.onnx --target-flops 0.5 [--round-to 16] [--report out.json]
    onnxprune analyze IN.onnx

Exit codes: 0 written, 1 error (one line on stderr, no output file), 2 usage.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from . import api
from .config import CRITERIA, DEFAULT_ROUND_TO, PruneConfig
from .errors import OnnxPruneError
from .ir import save_model
from .render import console, print_analysis, print_report

_CMDS = ("analyze", "prune")


class _RoundTo(click.ParamType):
    name = "N|auto"

    def convert(self, value, param, ctx):
        if value == "auto" or isinstance(value, int):
            return value
        try:
            n = int(value)
        except ValueError:
            n = 0
        if n < 1:
            self.fail(f"{value!r} is not a whole number >= 1 or 'auto'", param, ctx)
        return n


class _DefaultToPrune(click.Group):
    """``onnxprune IN OUT ...`` means ``onnxprune prune IN OUT ...``."""

    def parse_args(self, ctx, args):
        if args and args[0] not in _CMDS and args[0] not in ("--help", "-h", "--version"):
            args = ["prune", *args]
        return super().parse_args(ctx, args)


@click.group(cls=_DefaultToPrune, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="onnxprune")
def main():
    """Structured channel pruning of ONNX models (default command: prune)."""


def _shapes(values: tuple[str, ...]) -> dict[str, tuple[int, ...]]:
    out = {}
    for v in values:
        name, _, dims = v.rpartition("=")
        try:
            out[name] = tuple(int(d) for d in dims.lower().split("x"))
        except ValueError:
            raise click.BadParameter(f"{v!r}: write NAME=1x3x224x224", param_hint="--input-shape") from None
        if not name:
            raise click.BadParameter(f"{v!r}: write NAME=1x3x224x224", param_hint="--input-shape")
    return out


def _fail(err: Exception) -> None:
    click.echo(f"error: {err}", err=True)
    sys.exit(1)


def _internal(err: Exception) -> None:
    """A bug, not bad input: still one line and exit 1 (ONNXPRUNE_DEBUG=1 shows the traceback)."""
    if os.environ.get("ONNXPRUNE_DEBUG"):
        raise err
    first = (str(err).splitlines() or [""])[0]
    click.echo(f"error: internal error {type(err).__name__}: {first}; please report it with the model "
               "(ONNXPRUNE_DEBUG=1 shows the traceback)", err=True)
    sys.exit(1)


@main.command("prune")
@click.argument("model", type=click.Path(dir_okay=True, path_type=Path))
@click.argument("output", type=click.Path(path_type=Path))
@click.option("--target-flops", type=click.FloatRange(0, 1, min_open=True),
              help="Pruned FLOPs as a fraction of the original, e.g. 0.5.")
@click.option("--target-latency", type=click.FloatRange(0, 1, min_open=True),
              help="Instead: pruned onnxruntime CPU latency as a fraction of the original (measured here).")
@click.option("--data", "data_path", type=click.Path(path_type=Path),
              help="An .npz keyed by the model's input names (optional 'labels'): fine-tune after pruning.")
@click.option("--steps", type=click.IntRange(min=1), default=200, show_default=True, help="Fine-tuning steps.")
@click.option("--lr", type=click.FloatRange(0, min_open=True), default=1e-3, show_default=True)
@click.option("--batch-size", type=click.IntRange(min=1), default=32, show_default=True)
@click.option("--prefer-latency", is_flag=True,
              help="With --target-flops: remove first the channels that save the most measured latency.")
@click.option("--threads", type=click.IntRange(min=1), default=1, show_default=True,
              help="onnxruntime threads for --target-latency measurements.")
@click.option("--round-to", type=_RoundTo(), default=str(DEFAULT_ROUND_TO), show_default=True,
              help="Keep every pruned channel count a multiple of this (1 disables; 'auto': this CPU's "
                   "NCHWc block).")
@click.option("--min-keep", type=click.FloatRange(0, 1), default=0.1, show_default=True,
              help="Fraction of each group's channels never removed.")
@click.option("--tolerance", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.01,
              show_default=True, help="Accepted relative error on the FLOPs target.")
@click.option("--criterion", type=click.Choice(CRITERIA), default="l2", show_default=True)
@click.option("--include-consumers", is_flag=True, help="Count consumer weights in channel importance.")
@click.option("--exclude", multiple=True, metavar="NODE", help="Node name whose channels never change.")
@click.option("--input-shape", multiple=True, metavar="NAME=1x3x224x224",
              help="Static shape for a dynamic input, for FLOPs counting and verification.")
@click.option("--no-verify", is_flag=True, help="Skip the onnxruntime check of the result.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the report as JSON here.")
@click.option("--seed", type=int, default=0, show_default=True)
def prune_cmd(model, output, target_flops, target_latency, data_path, steps, lr, batch_size, prefer_latency, threads, round_to, min_keep, tolerance, criterion, include_consumers,
              exclude, input_shape, no_verify, report_path, seed):
    """Write a pruned copy of MODEL to OUTPUT."""
    if (target_flops is None) == (target_latency is None):
        raise click.UsageError("give exactly one of --target-flops and --target-latency")
    shapes = _shapes(input_shape)
    try:
        _check_paths(model, output)
        cfg = PruneConfig(target_flops=target_flops or 1.0, target_latency=target_latency,
                          latency_threads=threads, prefer_latency=prefer_latency, tolerance=tolerance,
                          finetune_steps=steps, lr=lr, batch_size=batch_size, round_to=round_to,
                          min_keep=min_keep, exclude=exclude, criterion=criterion,
                          include_consumers=include_consumers, verify=not no_verify, seed=seed)
        with console.status("pruning") as status:
            result = api.prune(model, config=cfg, input_shapes=shapes, data=data_path,
                               progress=lambda msg: status.update(msg))
            save_model(result.model, output, input_path=model)
        result.report.bytes_before = model.stat().st_size
        result.report.bytes_after = output.stat().st_size
        if report_path:
            _write_json(report_path, result.report.to_dict())
    except OnnxPruneError as e:
        _fail(e)
    except KeyboardInterrupt:
        click.echo("error: interrupted; no output was written", err=True)
        sys.exit(1)
    except Exception as e:  # noqa: BLE001 - the last line of defence of a one-line CLI
        _internal(e)
    print_report(result.report, model, output)


def _check_paths(model: Path, output: Path) -> None:
    from .errors import OutputPathError
    if model.exists() and output.exists() and model.resolve() == output.resolve():
        raise OutputPathError(f"{output} is the input file; choose a different output path")
    if not output.parent.exists():
        raise OutputPathError(f"directory {output.parent} does not exist; create it first")
    if output.is_dir():
        raise OutputPathError(f"{output} is a directory; give a file name ending in .onnx")


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2, default=float))
    os.replace(tmp, path)


@main.command("analyze")
@click.argument("model", type=click.Path(path_type=Path))
@click.option("--input-shape", multiple=True, metavar="NAME=1x3x224x224")
@click.option("--exclude", multiple=True, metavar="NODE")
@click.option("--json", "as_json", is_flag=True, help="Print the groups as JSON.")
def analyze_cmd(model, input_shape, exclude, as_json):
    """Print MODEL's channel groups, what pins them and the share of FLOPs they hold."""
    shapes = _shapes(input_shape)
    try:
        a = api.analyze(model, exclude=exclude, input_shapes=shapes)
    except OnnxPruneError as e:
        _fail(e)
    except Exception as e:  # noqa: BLE001
        _internal(e)
    print_analysis(a, as_json=as_json)


if __name__ == "__main__":
    main()
