"""Real trained models from PyPI wheels (fetched with pip by tools/fetch_models.py, not committed):
PP-OCRv4 det/rec and the mobile cls model from rapidocr-onnxruntime==1.4.4, and the light_*.onnx
models shipped inside the onnx wheel. Each prunes to 0.5 within 1%, validates, keeps its output
shapes and passes the zero-then-prune oracle.

Marked ``slow`` (it downloads ~20 MB once into ~/.cache/onnxprune); CI runs it.
"""
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

import onnxprune
from onnxprune import PruneConfig
from onnxprune.importance import component_scores
from onnxprune.plan import make_plan
from onnxprune.rewrite import rewrite
from onnxprune.verify import oracle_error, verify

sys.path.insert(0, str(Path(__file__).parents[1] / "tools"))
from fetch_models import fetch  # noqa: E402
from helpers import random_plan  # noqa: E402

pytestmark = pytest.mark.slow

SHAPES = {"ppocrv4_det": {"x": (1, 3, 320, 320)}, "ppocrv4_rec": {"x": (1, 3, 48, 320)},
          "ppocr_cls": {"x": (1, 3, 48, 192)}}
MODELS = ["ppocrv4_det", "ppocrv4_rec", "ppocr_cls", "light_bvlc_alexnet", "light_densenet121",
          "light_inception_v1", "light_inception_v2", "light_resnet50", "light_shufflenet",
          "light_squeezenet", "light_vgg19", "light_zfnet512"]


@pytest.fixture(scope="module")
def paths():
    return fetch(MODELS)


def _check(a, target: float):
    plan = make_plan(a, component_scores(a), PruneConfig(target_flops=target))
    assert abs(plan.ratio / target - 1) <= 0.01, f"reached {plan.ratio:.4f}"
    pruned = rewrite(a, plan)
    verify(a.graph.model, pruned, a.graph.shapes)           # checker, ORT session, output shapes
    err = oracle_error(a, plan, pruned=pruned)
    assert err <= 1e-4, f"oracle error {err:g}"
    return plan


@pytest.mark.parametrize("name", MODELS)
def test_real_model_prunes_to_half(paths, name):
    a = onnxprune.analyze(paths[name], input_shapes=SHAPES.get(name))
    plan = _check(a, 0.5)
    assert len(plan.removed) > 0


def _randomized(model: onnx.ModelProto) -> onnx.ModelProto:
    """The light models hold every weight as ConstantOfShape(0.02): give each a seeded random value
    (same structure, same names) so the oracle compares non-trivial numbers."""
    rng = np.random.default_rng(0)
    g = onnxprune.load(model).model
    graph = onnxprune.ir.build_graph(g)
    keep = []
    for node in g.graph.node:
        if node.op_type == "ConstantOfShape":
            value = graph.const_value(node.output[0])
            if value.ndim == 1:     # BN scale/bias/mean/var, biases: positive, near 1
                rand = rng.uniform(0.5, 1.5, value.shape)
            else:                   # filters: fan-in scaled
                rand = rng.standard_normal(value.shape) / np.sqrt(value[0].size)
            g.graph.initializer.append(numpy_helper.from_array(rand.astype(np.float32), node.output[0]))
        else:
            keep.append(node)
    del g.graph.node[:]
    g.graph.node.extend(keep)
    g.ir_version = 7        # initializers need not be graph inputs from IR 4 on
    return g


@pytest.mark.parametrize("name", [m for m in MODELS if m.startswith("light_")])
def test_light_models_with_random_weights_pass_oracle(paths, name):
    model = _randomized(onnx.load(str(paths[name])))
    a = onnxprune.analyze(model)
    plan = random_plan(a, np.random.default_rng(1))
    assert plan.removed.size > 0
    err = oracle_error(a, plan)
    assert err <= 1e-4, f"oracle error {err:g}"


@pytest.mark.parametrize("name", ["ppocrv4_det", "ppocrv4_rec", "ppocr_cls"])
def test_torch_bridge_matches_onnxruntime_on_ppocr(paths, name):
    torch = pytest.importorskip("torch", reason="the torch bridge needs `pip install onnxprune[torch]`")
    from onnxprune.runtime import random_feeds, run
    from onnxprune.torch_bridge import OnnxModule
    graph = onnxprune.load(paths[name], input_shapes=SHAPES.get(name))
    module = OnnxModule(graph)
    feeds = random_feeds(graph.model, graph.shapes)
    want = run(graph.model, feeds, optimize=False)
    with torch.no_grad():
        got = module(*[torch.from_numpy(feeds[n]) for n in module.input_names])
    err = max(float(np.max(np.abs(w - g.numpy()))) for w, g in zip(want, got))
    assert err <= 1e-4, f"bridge vs onnxruntime: {err:g}"
