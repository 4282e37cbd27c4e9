"""Bad input never crashes or loses data; same input and options give byte-identical output;
the preflight report says early why a model will not shrink."""
import json

import numpy as np
import onnx
import pytest
from click.testing import CliRunner

from onnxprune.cli import main
from builder import GraphBuilder
from graphs import CASES


def _run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def _save(model, path):
    onnx.save_model(model, str(path))
    return path


def _fails_cleanly(result, out, needle):
    assert result.exit_code == 1, result.output
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], result.output
    assert not out.exists()


def test_valid_protobuf_that_is_not_a_model(tmp_path):
    src, out = tmp_path / "tensor.onnx", tmp_path / "out.onnx"
    src.write_bytes(onnx.numpy_helper.from_array(np.arange(64, dtype=np.float32), "t").SerializeToString())
    before = src.read_bytes()
    result = _run(src, out, "--target-flops", "0.5")
    assert result.exit_code == 1 and not out.exists() and "Traceback" not in result.output
    assert len([ln for ln in result.output.splitlines() if ln.strip()]) == 1
    assert src.read_bytes() == before


def test_same_input_same_bytes(tmp_path):
    src = _save(CASES["resnet_bottleneck"](), tmp_path / "in.onnx")
    outs = [tmp_path / "a.onnx", tmp_path / "b.onnx"]
    for out in outs:
        assert _run(src, out, "--target-flops", "0.5", "--round-to", "1").exit_code == 0
    assert outs[0].read_bytes() == outs[1].read_bytes()


@pytest.mark.parametrize("opset, needle", [(8, "opset 8"), (99, "opset 99")])
def test_opset_out_of_range(tmp_path, opset, needle):
    model = CASES["resnet_basic"]()
    model.opset_import[0].version = opset
    src, out = _save(model, tmp_path / "in.onnx"), tmp_path / "out.onnx"
    _fails_cleanly(_run(src, out, "--target-flops", "0.5"), out, needle)


def test_missing_external_data(tmp_path):
    src, out = tmp_path / "ext.onnx", tmp_path / "out.onnx"
    onnx.save_model(CASES["resnet_basic"](), str(src), save_as_external_data=True, location="w.bin",
                    size_threshold=0)
    (tmp_path / "w.bin").unlink()
    _fails_cleanly(_run(src, out, "--target-flops", "0.5"), out, "external data")


def test_unwritable_output_directory(tmp_path):
    src = _save(CASES["resnet_basic"](), tmp_path / "in.onnx")
    out = tmp_path / "blocker" / "out.onnx"
    (tmp_path / "blocker").write_text("a file, not a directory")
    result = _run(src, out, "--target-flops", "0.5")
    assert result.exit_code == 1 and "Traceback" not in result.output and not out.exists()


def test_no_prunable_channels(tmp_path):
    b = GraphBuilder()
    model = b.model([b.conv(b.input("x", [1, 3, 4, 4]), 3, 4)])     # input -> conv -> output
    src, out = _save(model, tmp_path / "in.onnx"), tmp_path / "out.onnx"
    _fails_cleanly(_run(src, out, "--target-flops", "0.5"), out, "no prunable channels")


def test_dynamic_channel_dims_are_pinned_and_reported(tmp_path):
    """x [1,3,H,W] -Reshape[1,-1,4,4]-> channels = 3*H*W/16, dynamic -> conv-free elementwise chain."""
    b = GraphBuilder()
    x = b.input("x", [1, 3, 8, 8], dims=[1, 3, "H", "W"])
    r = b.op("Reshape", [x, b.init(np.array([1, -1, 4, 4], np.int64))])
    model = b.model([b.op("Relu", [b.op("Sigmoid", [r])])])
    src = _save(model, tmp_path / "in.onnx")
    data = json.loads(_run("analyze", src, "--json").output)
    assert len(data["dynamic_channels"]) >= 2
    out = tmp_path / "out.onnx"
    _fails_cleanly(_run(src, out, "--target-flops", "0.5"), out, "no prunable channels")


def test_duplicate_tensor_names(tmp_path):
    model = CASES["resnet_basic"]()
    model.graph.node[1].output[0] = model.graph.node[0].output[0]
    src, out = _save(model, tmp_path / "in.onnx"), tmp_path / "out.onnx"
    result = _run(src, out, "--target-flops", "0.5")
    assert result.exit_code == 1 and not out.exists() and "Traceback" not in result.output


def test_interrupt_during_write_leaves_nothing(tmp_path, monkeypatch):
    src = _save(CASES["resnet_basic"](), tmp_path / "in.onnx")
    before = src.read_bytes()
    out = tmp_path / "out.onnx"

    def half_write(model, path, *args, **kwargs):
        with open(path, "wb") as f:
            f.write(model.SerializeToString()[:100])
        raise KeyboardInterrupt

    monkeypatch.setattr(onnx, "save_model", half_write)
    result = _run(src, out, "--target-flops", "0.5")
    assert result.exit_code == 1 and "interrupted" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.onnx"]
    assert src.read_bytes() == before


def test_preflight_lists_unsupported_ops_and_pinned_share(tmp_path):
    src = _save(CASES["unknown_ops"](), tmp_path / "in.onnx")
    data = json.loads(_run("analyze", src, "--json").output)
    assert data["unsupported_ops"] == {"DepthToSpace": 1, "LRN": 1}
    assert 0 < data["pinned_flops_share"] < 1
    text = _run("analyze", src).output
    assert "ops without a handler" in text and "LRN x1" in text
