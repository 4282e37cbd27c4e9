"""FLOPs (multiply-accumulates of Conv, ConvTranspose, Gemm, MatMul) against hand-computed numbers,
and the planner's incremental count against a fresh count of the rewritten model."""
import numpy as np
import pytest

import onnxprune
from onnxprune.flops import model_flops
from onnxprune.rewrite import rewrite
from builder import GraphBuilder
from graphs import CASES
from helpers import random_plan


def _flops(model) -> float:
    return model_flops(onnxprune.analyze(model))


def test_dense_conv():
    b = GraphBuilder()
    y = b.conv(b.input("x", [1, 3, 8, 8]), 3, 32)          # 8x8 out, 3x3 kernel
    assert _flops(b.model([y])) == 8 * 8 * 32 * 3 * 9


def test_strided_depthwise_and_grouped_conv():
    b = GraphBuilder()
    x = b.input("x", [1, 16, 8, 8])
    dw = b.conv(x, 16, 16, group=16, stride=2)              # 4x4 out
    g = b.conv(dw, 16, 32, k=1, group=4)                    # 4x4 out, 4 input channels per group
    assert _flops(b.model([g])) == 4 * 4 * 16 * 1 * 9 + 4 * 4 * 32 * 4 * 1


def test_conv_transpose():
    b = GraphBuilder()
    x = b.input("x", [1, 16, 4, 4])
    y = b.op("ConvTranspose", [x, b.init(b.rand(16, 8, 2, 2))], kernel_shape=[2, 2], strides=[2, 2])
    assert _flops(b.model([y])) == 4 * 4 * 16 * 8 * 2 * 2    # every input pixel scatters a kernel


def test_gemm_and_matmul():
    b = GraphBuilder()
    x = b.input("x", [2, 64])
    h = b.op("Gemm", [x, b.init(b.rand(10, 64)), b.init(b.rand(10))], transB=1)
    y = b.op("MatMul", [h, b.init(b.rand(10, 7))])
    assert _flops(b.model([y])) == 2 * 64 * 10 + 2 * 10 * 7


def test_activation_matmul_counts_full_cost():
    b = GraphBuilder()
    q, k = b.input("q", [1, 4, 16, 8]), b.input("k", [1, 4, 8, 16])
    assert _flops(b.model([b.op("MatMul", [q, k])])) == 4 * 16 * 16 * 8


def test_dynamic_batch_counts_batch_one():
    m = CASES["dynamic_batch"]()
    assert _flops(m) == 8 * 8 * (32 * 3 * 9 + 64 * 32 * 9) + 64 * 4


@pytest.mark.parametrize("case", ["resnet_bottleneck", "densenet_chain", "c2f", "unet", "grouped_convs",
                                  "mobilenetv2_block", "vgg_flatten_gemm", "fpn"])
def test_planned_flops_equal_a_fresh_count(case):
    a = onnxprune.analyze(CASES[case]())
    plan = random_plan(a, np.random.default_rng(3))
    assert plan.flops_after == pytest.approx(_flops(rewrite(a, plan)), rel=1e-12)


def _independent_macs(graph) -> float:
    """MACs counted straight from the inferred shapes, node by node (no handlers involved)."""
    shapes, total = graph.shapes, 0.0
    for node in graph.nodes:
        ins = [shapes.get(i) for i in node.input]
        out = shapes.get(node.output[0])
        if node.op_type == "Conv":
            total += np.prod(out) * np.prod(ins[1][1:])
        elif node.op_type == "ConvTranspose":
            total += np.prod(ins[0]) * np.prod(ins[1][1:])
        elif node.op_type == "Gemm":
            trans_a = next((a.i for a in node.attribute if a.name == "transA"), 0)
            total += np.prod(out) * ins[0][0 if trans_a else 1]
        elif node.op_type == "MatMul":
            total += np.prod(out) * ins[0][-1]
    return float(total)


FIXTURE_FILES = sorted((__import__("pathlib").Path(__file__).parent / "fixtures").glob("*.onnx"))


@pytest.mark.parametrize("source", sorted(CASES) + [str(p) for p in FIXTURE_FILES])
def test_flops_equal_an_independent_count(source):
    """Every Conv/ConvTranspose/Gemm/MatMul is counted once, pinned or not."""
    import onnx
    model = CASES[source]() if source in CASES else onnx.load(source)
    a = onnxprune.analyze(model)
    assert model_flops(a) == pytest.approx(_independent_macs(a.graph), rel=1e-12)
