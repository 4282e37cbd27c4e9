"""The torch bridge executes ONNX graphs exactly (vs onnxruntime), trains, and writes weights back.

torch is an optional extra of onnxprune; the test extra installs it (torch==2.13.0), so these tests
run in CI. They are skipped, with this reason shown, only where torch is not installed.
"""
from pathlib import Path

import numpy as np
import onnx
import pytest

torch = pytest.importorskip("torch", reason="the torch bridge needs `pip install onnxprune[torch]`")

from onnxprune.runtime import random_feeds, run  # noqa: E402
from onnxprune.torch_bridge import BridgeError, OnnxModule  # noqa: E402
from graphs import CASES  # noqa: E402

FIXTURES = sorted((Path(__file__).parent / "fixtures").glob("*.onnx"))
NO_KERNEL = {"if_branch"}          # control flow: the bridge refuses it with a clear error


def _compare(model, module, seed=0) -> float:
    feeds = random_feeds(model, module.graph.shapes, seed)
    want = run(model, feeds, optimize=False)
    with torch.no_grad():
        got = module(*[torch.from_numpy(feeds[n]) for n in module.input_names])
    return max(float(np.max(np.abs(w - h.numpy()))) for w, h in zip(want, got))


@pytest.mark.parametrize("case", sorted(set(CASES) - NO_KERNEL))
def test_bridge_matches_onnxruntime_on_built_graphs(case):
    model = CASES[case]()
    assert _compare(model, OnnxModule(model)) <= 1e-4


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_bridge_matches_onnxruntime_on_torch_exports(path):
    model = onnx.load(str(path))
    assert _compare(model, OnnxModule(model)) <= 1e-4


def test_control_flow_is_refused_clearly():
    with pytest.raises(BridgeError, match="no kernel for If"):
        OnnxModule(CASES["if_branch"]())


@pytest.mark.parametrize("case", ["shared_weights", "constant_of_shape_weights", "resnet_basic"])
def test_round_trip_without_training_changes_nothing(case):
    model = CASES[case]()
    out = OnnxModule(model).write_back()
    feeds = random_feeds(model, {"x": tuple(d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim)})
    np.testing.assert_array_equal(run(out, feeds)[0], run(model, feeds)[0])
    before = {t.name: t.SerializeToString() for t in model.graph.initializer}
    for t in out.graph.initializer:
        if t.name in before:
            assert t.SerializeToString() == before[t.name]


def test_training_step_is_written_back_exactly():
    """Weights are parameters keyed by tensor name (Constant-node weights included); after an
    optimizer step the written-back ONNX model computes what the module computes."""
    model = CASES["shared_weights"]()
    module = OnnxModule(model)
    x = torch.randn(1, 3, 8, 8, generator=torch.Generator().manual_seed(0))
    loss = sum(o.square().mean() for o in module(x))
    loss.backward()
    grads = [p.grad for p in module.weights.values() if p.requires_grad]   # BN statistics are frozen
    assert all(g is not None for g in grads) and any(float(g.abs().sum()) > 0 for g in grads)
    torch.optim.SGD(module.parameters(), lr=0.1).step()
    out = module.write_back()
    onnx.checker.check_model(out, full_check=True)
    with torch.no_grad():
        want = [o.numpy() for o in module(x)]
    got = run(out, {"x": x.numpy()}, optimize=False)
    for w, g in zip(want, got):
        np.testing.assert_allclose(g, w, atol=1e-5)
    assert not np.allclose(got[0], run(model, {"x": x.numpy()}, optimize=False)[0])
