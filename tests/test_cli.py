"""The command line: exit codes, one-line errors, no output file on failure, input untouched."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from click.testing import CliRunner

from onnxprune.cli import main
from builder import GraphBuilder
from graphs import CASES

FIXTURE = Path(__file__).parent / "fixtures" / "resnet_bottleneck_legacy.onnx"


@pytest.fixture()
def model_path(tmp_path):
    path = tmp_path / "in.onnx"
    onnx.save_model(CASES["resnet_bottleneck"](), str(path))
    return path


def _run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def _assert_clean_failure(result, out: Path, code: int = 1, needle: str = ""):
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert not out.exists()
    if code == 1:
        lines = [ln for ln in result.output.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert needle in result.output


def test_prune_writes_model_and_report(model_path, tmp_path):
    out, rep = tmp_path / "out.onnx", tmp_path / "r.json"
    before = model_path.read_bytes()
    result = _run(model_path, out, "--target-flops", "0.5", "--round-to", "1", "--report", rep)
    assert result.exit_code == 0, result.output
    assert model_path.read_bytes() == before
    onnx.checker.check_model(onnx.load(str(out)), full_check=True)
    report = json.loads(rep.read_text())
    assert abs(report["flops_ratio"] - 0.5) <= 0.005
    assert report["bytes_after"] < report["bytes_before"]
    assert {"pin_reasons", "groups", "drift_max_abs", "params_after"} <= report.keys()
    assert "FLOPs" in result.output and "pinned channels" in result.output


def test_explicit_prune_subcommand_and_analyze(model_path):
    result = _run("analyze", model_path)
    assert result.exit_code == 0 and "prunable" in result.output and "graph input" in result.output
    result = _run("analyze", model_path, "--json")
    data = json.loads(result.output)
    assert data["flops"] > 0 and any(g["prunable"] for g in data["groups"])


@pytest.mark.parametrize("make, needle", [
    (lambda p: p.with_name("missing.onnx"), "no such file"),
    (lambda p: p.parent, "directory"),
    (lambda p: (p.write_bytes(b""), p)[1], "empty"),
    (lambda p: (p.write_bytes(np.random.default_rng(0).bytes(999)), p)[1], "not an ONNX model"),
    (lambda p: (p.write_bytes(p.read_bytes()[:200]), p)[1], ""),
])
def test_bad_inputs_fail_cleanly(model_path, tmp_path, make, needle):
    src = make(model_path)
    snapshot = src.read_bytes() if src.is_file() else None
    out = tmp_path / "out.onnx"
    _assert_clean_failure(_run(src, out, "--target-flops", "0.5"), out, needle=needle)
    if snapshot is not None:
        assert src.read_bytes() == snapshot


@pytest.mark.parametrize("target", ["0", "-0.5", "1.5", "abc"])
def test_bad_targets_are_usage_errors(model_path, tmp_path, target):
    out = tmp_path / "out.onnx"
    _assert_clean_failure(_run(model_path, out, "--target-flops", target), out, code=2)


def test_nan_target_is_refused(model_path, tmp_path):
    out = tmp_path / "out.onnx"
    result = _run(model_path, out, "--target-flops", "nan")
    assert result.exit_code in (1, 2) and not out.exists() and "Traceback" not in result.output


def test_output_equal_to_input_or_missing_dir(model_path, tmp_path):
    before = model_path.read_bytes()
    result = _run(model_path, model_path, "--target-flops", "0.5")
    assert result.exit_code == 1 and "input file" in result.output and model_path.read_bytes() == before
    out = tmp_path / "nope" / "out.onnx"
    _assert_clean_failure(_run(model_path, out, "--target-flops", "0.5"), out, needle="does not exist")


def test_unreachable_target_names_reachable_ratio(model_path, tmp_path):
    out = tmp_path / "out.onnx"
    _assert_clean_failure(_run(model_path, out, "--target-flops", "0.001", "--round-to", "1"), out,
                          needle="lowest possible")


def test_quantized_model_is_refused(tmp_path):
    b = GraphBuilder(opset=13)
    x = b.input("x", [1, 3, 4, 4])
    q = b.op("QuantizeLinear", [x, b.init(np.array(0.1, np.float32)), b.init(np.array(0, np.uint8))])
    y = b.op("DequantizeLinear", [q, b.init(np.array(0.1, np.float32)), b.init(np.array(0, np.uint8))])
    path, out = tmp_path / "q.onnx", tmp_path / "out.onnx"
    onnx.save_model(b.model([b.conv(y, 3, 4)]), str(path))
    _assert_clean_failure(_run(path, out, "--target-flops", "0.5"), out, needle="quantize")


def test_model_failing_checker_is_refused(model_path, tmp_path):
    m = onnx.load(str(model_path))
    m.graph.node[0].input[0] = "does_not_exist"
    bad, out = tmp_path / "bad.onnx", tmp_path / "out.onnx"
    onnx.save_model(m, str(bad))
    _assert_clean_failure(_run(bad, out, "--target-flops", "0.5"), out, needle="checker")


def test_console_script_exit_codes(tmp_path):
    """The installed entry point, in a fresh process: 0 on success, 1 with one line on error."""
    out = tmp_path / "o.onnx"
    ok = subprocess.run([sys.executable, "-m", "onnxprune.cli", str(FIXTURE), str(out), "--target-flops",
                         "0.6", "--round-to", "1"], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert out.exists()
    bad = subprocess.run([sys.executable, "-m", "onnxprune.cli", str(tmp_path / "x.onnx"), str(tmp_path / "y.onnx"),
                          "--target-flops", "0.5"], capture_output=True, text=True)
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr
