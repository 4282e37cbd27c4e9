"""The planner hits the FLOPs target within 1% on every architecture, honours rounding, minimum
widths and exclusions, and says which ratio is reachable when the target is not."""
import math
from pathlib import Path

import numpy as np
import onnx
import pytest

import onnxprune
from onnxprune import PruneConfig, TargetUnreachableError
from onnxprune.importance import component_scores
from onnxprune.plan import allowed_widths, group_step, make_plan
from graphs import CASES
from helpers import assert_oracle

FIXTURES = {p.stem: p for p in sorted((Path(__file__).parent / "fixtures").glob("*.onnx"))}
MAIN_CASES = ["vgg_flatten_gemm", "resnet_basic", "resnet_bottleneck", "mobilenetv2_block", "se_block",
              "densenet_chain", "c2f", "fpn", "unet", "gap_gemm_mlp", "matmul_head", "slice_channels",
              "shared_weights", "dynamic_batch", "channels_last_matmul", "alexnet_grouped", "se_block_sigmoid",
              "c2f_opset11"]


def _plan(model, **cfg):
    a = onnxprune.analyze(model)
    config = PruneConfig(**cfg)
    return a, make_plan(a, component_scores(a), config)


@pytest.mark.parametrize("target", [0.7, 0.5])
@pytest.mark.parametrize("case", MAIN_CASES)
def test_built_graphs_hit_target(case, target):
    a, plan = _plan(CASES[case](), target_flops=target, round_to=1)
    assert abs(plan.ratio / target - 1) <= 0.01, f"{case}: {plan.ratio:.4f} for target {target}"
    assert_oracle(a, plan)


@pytest.mark.parametrize("target", [0.75, 0.5, 0.3])
@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_torch_exports_hit_target(name, target):
    a, plan = _plan(onnx.load(str(FIXTURES[name])), target_flops=target, round_to=1, min_keep=0.05)
    assert abs(plan.ratio / target - 1) <= 0.01, f"{name}: {plan.ratio:.4f} for target {target}"
    assert_oracle(a, plan)


@pytest.mark.parametrize("case, target", [("unknown_ops", 0.7), ("channel_shuffle", 0.5)])
def test_partly_pinned_graphs_hit_target(case, target):
    a, plan = _plan(CASES[case](), target_flops=target, round_to=1)
    assert abs(plan.ratio / target - 1) <= 0.01
    assert_oracle(a, plan)


def test_rounding_keeps_widths_multiples():
    model = onnx.load(str(FIXTURES["resnet56_cifar_w4_legacy"])) if "resnet56_cifar_w4_legacy" in FIXTURES \
        else CASES["resnet_bottleneck"]()
    a, plan = _plan(model, target_flops=0.6, round_to=4, tolerance=0.03)
    for g in a.prunable_groups():
        before, after = plan.group_widths.get(g.id, (g.width, g.width))
        for s, count in g.footprint:
            if after < before:
                assert (after * count) % 4 == 0


def test_group_step_and_allowed_widths():
    class G:
        footprint = ((0, 1), (1, 2))
    assert group_step(G, 16) == 16          # 1 channel per component on space 0 -> 16 components
    G.footprint = ((0, 8),)
    assert group_step(G, 16) == 2
    assert allowed_widths(100, 16, 0.1) == [100, 96, 80, 64, 48, 32, 16]
    assert allowed_widths(10, 16, 0.1) == [10]
    assert allowed_widths(64, 16, 0.5) == [64, 48, 32]


def test_min_keep_is_respected():
    a, plan = _plan(CASES["resnet_bottleneck"](), target_flops=0.5, round_to=1, min_keep=0.4, tolerance=0.05)
    for g in a.prunable_groups():
        before, after = plan.group_widths.get(g.id, (g.width, g.width))
        assert after >= math.ceil(0.4 * before)


def test_unreachable_target_names_the_reachable_ratio():
    with pytest.raises(TargetUnreachableError) as info:
        _plan(CASES["resnet_basic"](), target_flops=0.002, round_to=1)
    err = info.value
    assert 0.002 < err.reachable < 1
    assert f"{err.reachable:.3f}" in str(err)


def test_exclude_keeps_node_channels():
    model = CASES["resnet_basic"]()
    first_conv = next(n.name for n in model.graph.node if n.op_type == "Conv")
    res = onnxprune.prune(model, config=PruneConfig(target_flops=0.6, round_to=1, exclude=(first_conv,)))
    w_name = next(n.input[1] for n in res.model.graph.node if n.name == first_conv)
    w = next(t for t in res.model.graph.initializer if t.name == w_name)
    assert w.dims[0] == 32                     # the excluded conv kept all its filters
    assert abs(res.report.flops_ratio - 0.6) <= 0.006


def test_exclude_unknown_node_is_an_error():
    with pytest.raises(onnxprune.ConfigError, match="names no node"):
        onnxprune.analyze(CASES["resnet_basic"](), exclude=("nope",))


def test_global_ranking_prefers_weak_channels():
    """Scale one conv's filters down: the planner must remove from that layer first."""
    from onnx import numpy_helper
    model = CASES["vgg_flatten_gemm"]()
    conv = next(n for n in model.graph.node if n.op_type == "Conv")
    init = next(t for t in model.graph.initializer if t.name == conv.input[1])
    w = numpy_helper.to_array(init).copy()
    w[:4] *= 1e-3                              # four nearly dead channels: filters and BN scale
    init.CopyFrom(numpy_helper.from_array(w, init.name))
    bn = next(n for n in model.graph.node if n.op_type == "BatchNormalization")
    for i in (1, 2):                            # BN scale and bias: the channels output ~0
        t = next(t for t in model.graph.initializer if t.name == bn.input[i])
        v = numpy_helper.to_array(t).copy()
        v[:4] *= 1e-3
        t.CopyFrom(numpy_helper.from_array(v, t.name))
    a, plan = _plan(model, target_flops=0.9, round_to=1, tolerance=0.05)
    comp = a.component[a.ids(a.space_of(conv.output[0]).id)]
    dead = set(comp[:4].tolist())
    scores = component_scores(a)
    prunable = np.concatenate([g.components for g in a.prunable_groups()])
    assert dead == set(prunable[np.argsort(scores[prunable])[:4]].tolist())   # ranked weakest globally
    taken = set(comp.tolist()) & set(plan.removed.tolist())
    assert taken and taken <= dead
