"""The large-model path (weights left on disk, read in slabs, rewritten weights spilled to temp
files, streamed on save, verified from files) gives the same model as the in-memory path. The
thresholds are lowered so a tiny model takes it; tools/bench_large.py measures real sizes."""
import numpy as np
import onnx
import pytest

import onnxprune
import onnxprune.api
import onnxprune.external
import onnxprune.verify
import onnxprune.weights
from onnxprune import PruneConfig
from onnxprune.external import is_lazy
from onnxprune.ir import save_model
from onnxprune.runtime import random_feeds, run
from graphs import CASES

CFG = PruneConfig(target_flops=0.5, round_to=1)


@pytest.fixture()
def external_model(tmp_path):
    path = tmp_path / "src" / "m.onnx"
    path.parent.mkdir()
    onnx.save_model(CASES["vgg_flatten_gemm"](), str(path), save_as_external_data=True,
                    all_tensors_to_one_file=True, location="m.onnx.data", size_threshold=0)
    return path


def test_lazy_path_matches_in_memory_path(external_model, tmp_path, monkeypatch):
    eager = onnxprune.prune(external_model, config=CFG)
    monkeypatch.setattr(onnxprune.external, "LAZY_BYTES", 0)
    monkeypatch.setattr(onnxprune.weights, "SPILL_BYTES", 0)
    monkeypatch.setattr(onnxprune.api, "LARGE_BYTES", 0)
    monkeypatch.setattr(onnxprune.verify, "LARGE_BYTES", 0)
    lazy = onnxprune.prune(external_model, config=CFG)
    assert any(is_lazy(t) for t in lazy.model.graph.initializer)      # weights stayed on disk
    assert lazy.report.drift_max_abs is None                          # large: shapes only
    out = tmp_path / "out" / "pruned.onnx"
    out.parent.mkdir()
    save_model(lazy.model, out)
    assert (out.parent / "pruned.onnx.data").exists()
    saved = onnx.load(str(out))
    onnx.checker.check_model(str(out), full_check=True)
    feeds = random_feeds(saved, {"x": (1, 3, 8, 8)})
    np.testing.assert_allclose(run(saved, feeds)[0], run(eager.model, feeds)[0], rtol=1e-5, atol=1e-6)
