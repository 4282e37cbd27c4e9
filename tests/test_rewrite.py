"""The rewriter keeps what it does not own and handles storage idioms (Constant nodes, shared and
Identity-shared initializers, IR 3 initializer inputs, external data)."""
import os

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

import onnxprune
from onnxprune import PruneConfig
from onnxprune.runtime import random_feeds, run
from builder import GraphBuilder
from graphs import CASES
from helpers import assert_oracle, random_plan

CFG = PruneConfig(target_flops=0.5, round_to=1)


def test_keeps_ir_opsets_metadata_names_and_input():
    model = CASES["resnet_bottleneck"]()
    model.producer_name = "unit-test"
    onnx.helper.set_model_props(model, {"author": "me"})
    before = model.SerializeToString()
    out = onnxprune.prune(model, config=CFG).model
    assert model.SerializeToString() == before                 # the caller's proto is untouched
    assert out.ir_version == model.ir_version
    assert list(out.opset_import) == list(model.opset_import)
    assert out.producer_name == "unit-test"
    assert {p.key: p.value for p in out.metadata_props} == {"author": "me"}
    assert {n.name for n in out.graph.node} == {n.name for n in model.graph.node}
    assert [o.name for o in out.graph.output] == [o.name for o in model.graph.output]


def test_dynamic_batch_stays_dynamic():
    out = onnxprune.prune(CASES["dynamic_batch"](), config=CFG).model
    assert out.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "N"
    feeds = {"x": np.random.default_rng(0).standard_normal((3, 3, 8, 8)).astype(np.float32)}
    assert run(out, feeds)[0].shape == (3, 4)


def test_depthwise_group_attribute_follows_channels():
    out = onnxprune.prune(CASES["mobilenetv2_block"](), config=CFG).model
    inits = {t.name: t for t in out.graph.initializer}
    dw = [n for n in out.graph.node if n.op_type == "Conv" and
          next(a.i for a in n.attribute if a.name == "group") > 1]
    assert dw
    for n in dw:
        group = next(a.i for a in n.attribute if a.name == "group")
        assert inits[n.input[1]].dims[0] == group < 96


def test_shared_initializer_is_unshared_when_pruned_differently():
    model = CASES["shared_weights"]()
    a = onnxprune.analyze(model)
    plan = random_plan(a, np.random.default_rng(7))
    assert_oracle(a, plan)
    from onnxprune.rewrite import rewrite
    out = rewrite(a, plan)
    convs = [n for n in out.graph.node if n.op_type == "Conv"]
    names = [n.input[1] for n in convs]
    assert len(set(names)) == len(names)                 # no conv reads another's sliced copy
    onnx.checker.check_model(out, full_check=True)


def _constant_weight_model():
    """x -Conv(W in a Constant node)-Relu-Conv(W2 in a Constant node)- y   (paddle2onnx style)"""
    b = GraphBuilder()
    x = b.input("x", [1, 3, 8, 8])
    h = b.relu(b.conv(x, 3, 16, weight=b.const_node(b.rand(16, 3, 3, 3))))
    return b.model([b.conv(h, 16, 4, weight=b.const_node(b.rand(4, 16, 3, 3)))])


def test_weights_in_constant_nodes_are_sliced_in_place():
    model = _constant_weight_model()
    a = onnxprune.analyze(model)
    plan = random_plan(a, np.random.default_rng(1))
    assert_oracle(a, plan)
    from onnxprune.rewrite import rewrite
    out = rewrite(a, plan)
    consts = [n for n in out.graph.node if n.op_type == "Constant"]
    shapes = sorted(tuple(numpy_helper.to_array(n.attribute[0].t).shape) for n in consts)
    kept = 16 - len(plan.removed)
    assert shapes == sorted([(kept, 3, 3, 3), (4, kept, 3, 3)])


def test_ir3_initializers_listed_as_inputs():
    b = GraphBuilder(opset=9, ir_version=3)
    h = b.cbr(b.input("x", [1, 3, 8, 8]), 3, 32)
    model = b.model([b.conv(h, 32, 4)])
    assert len(model.graph.input) == 1 + len(model.graph.initializer)
    out = onnxprune.prune(model, config=CFG).model
    onnx.checker.check_model(out, full_check=True)
    inputs = {i.name: [d.dim_value for d in i.type.tensor_type.shape.dim] for i in out.graph.input}
    for t in out.graph.initializer:
        assert inputs[t.name] == list(t.dims)


def test_split_num_outputs_gets_explicit_sizes():
    b = GraphBuilder(opset=18)
    h = b.cbr(b.input("x", [1, 3, 8, 8]), 3, 32)
    p, q = b.op("Split", [h], n_out=2, axis=1, num_outputs=2)
    model = b.model([b.conv(b.op("Concat", [b.cbr(p, 16, 16), q], axis=1), 32, 4)])
    a = onnxprune.analyze(model)
    assert len(a.prunable_groups()) >= 2
    for seed in range(3):
        assert_oracle(a, random_plan(a, np.random.default_rng(seed)))


def test_external_data_model_loads_and_prunes(tmp_path):
    model = CASES["resnet_basic"]()
    path = tmp_path / "ext.onnx"
    onnx.save_model(CASES["resnet_basic"](), str(path), save_as_external_data=True, all_tensors_to_one_file=True,
                    location="ext.onnx.data", size_threshold=0)
    assert (tmp_path / "ext.onnx.data").exists()
    res = onnxprune.prune(path, config=CFG)
    feeds = random_feeds(model, {"x": (1, 3, 8, 8)})
    assert run(res.model, feeds)[0].shape == run(model, feeds)[0].shape


def test_save_is_atomic_and_refuses_input(tmp_path):
    from onnxprune.ir import save_model
    model = CASES["resnet_basic"]()
    src = tmp_path / "in.onnx"
    onnx.save_model(model, str(src))
    with pytest.raises(onnxprune.OutputPathError):
        save_model(model, src, input_path=src)
    save_model(model, tmp_path / "out.onnx", input_path=src)
    assert sorted(os.listdir(tmp_path)) == ["in.onnx", "out.onnx"]     # no temp files left
    mask = os.umask(0)
    os.umask(mask)
    assert (tmp_path / "out.onnx").stat().st_mode & 0o777 == 0o666 & ~mask   # not mkstemp's 0600


def test_verification_reports_drift_and_shapes():
    res = onnxprune.prune(CASES["resnet_bottleneck"](), config=CFG)
    assert res.report.drift_max_abs is not None and res.report.drift_max_abs > 0
    assert abs(res.report.flops_ratio - 0.5) <= 0.005
    assert res.report.params_after < res.report.params_before
