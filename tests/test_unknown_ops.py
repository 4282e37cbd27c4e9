"""Fail closed: ops without a handler pin every channel they touch, and the pruned model is right."""
import pytest

import onnxprune
from graphs import CASES
from helpers import assert_oracle


def test_unknown_ops_pin_their_neighbours():
    a = onnxprune.analyze(CASES["unknown_ops"]())
    reasons = {r for g in a.groups for r in g.reasons}
    assert any("no handler for LRN" in r for r in reasons)
    assert any("no handler for DepthToSpace" in r for r in reasons)
    for g in a.groups:
        tensors = [a.spaces[s].tensor for s, _ in g.footprint]
        if any(t.startswith(("lrn", "depthtospace")) for t in tensors):
            assert not g.prunable


def test_unknown_ops_prune_and_stay_correct():
    model = CASES["unknown_ops"]()
    res = onnxprune.prune(model, target_flops=0.8, config=onnxprune.PruneConfig(round_to=1, tolerance=0.05))
    assert abs(res.report.flops_ratio - 0.8) <= 0.05 * 0.8
    with pytest.raises(onnxprune.TargetUnreachableError) as info:    # the pinned LRN part stays
        onnxprune.prune(model, config=onnxprune.PruneConfig(target_flops=0.2, round_to=1))
    assert info.value.reachable > 0.2
    a = onnxprune.analyze(model)
    from onnxprune.importance import component_scores
    from onnxprune.plan import make_plan
    plan = make_plan(a, component_scores(a), onnxprune.PruneConfig(target_flops=0.8, round_to=1, tolerance=0.05))
    assert_oracle(a, plan)


def test_custom_domain_op_is_pinned():
    from onnx import helper
    from builder import GraphBuilder
    b = GraphBuilder()
    h = b.cbr(b.input("x", [1, 3, 4, 4]), 3, 8)
    b.nodes.append(helper.make_node("Mystery", [h], ["m"], name="mystery", domain="com.example"))
    b.shapes["m"] = [1, 8, 4, 4]
    y = b.conv("m", 8, 4)
    graph = helper.make_graph(b.nodes, "g", b.inputs, [helper.make_tensor_value_info(y, 1, [1, 4, 4, 4])], b.inits,
                              value_info=[helper.make_tensor_value_info("m", 1, [1, 8, 4, 4])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.example", 1)])
    model.ir_version = 8
    a = onnxprune.analyze(model)
    pinned = [g for g in a.groups if any(a.spaces[s].tensor in (h, "m") for s, _ in g.footprint)]
    assert pinned and all(not g.prunable for g in pinned)
    assert any("com.example::Mystery" in r for g in pinned for r in g.reasons)
