"""Tiny architectures built in code, one function each, keyed in CASES.

Every function returns a checked ONNX model with seeded random weights. The sketches use
``name[C]`` for a tensor with C channels.
"""
from __future__ import annotations

import numpy as np

from builder import GraphBuilder


def vgg_flatten_gemm():
    """x[3] -cbr-> [32] -MaxPool-> -cbr-> [64] -Flatten-> [64*4*4] -Gemm(transB)-> y[10]"""
    b = GraphBuilder()
    x = b.input("x", [1, 3, 8, 8])
    h = b.op("MaxPool", [b.cbr(x, 3, 32)], kernel_shape=[2, 2], strides=[2, 2])
    f = b.op("Flatten", [b.cbr(h, 32, 64)], axis=1)
    return b.model([b.op("Gemm", [f, b.init(b.rand(10, 1024, scale=0.03)), b.init(b.rand(10))], transB=1)])


def resnet_basic():
    """x -cbr-> s[32] --conv s2-bn-relu-conv-bn-> a[64] ---Add--Relu-GAP-Flatten-Gemm-> y
                     \\--conv1x1 s2-bn (projection)---> p[64] --/"""
    b = GraphBuilder()
    s = b.cbr(b.input("x", [1, 3, 8, 8]), 3, 32)
    a = b.bn(b.conv(b.cbr(s, 32, 64, stride=2), 64, 64, bias=False), 64)
    p = b.bn(b.conv(s, 32, 64, k=1, stride=2, bias=False), 64)
    h = b.relu(b.op("Add", [a, p]))
    f = b.op("Flatten", [b.gap(h)])
    return b.model([b.op("Gemm", [f, b.init(b.rand(64, 5, scale=0.2)), b.init(b.rand(5))])])


def resnet_bottleneck():
    """s[16] -1x1[4]-3x3[4]-1x1[16]-bn-> +s -> r[16] -1x1[8]-3x3 s2[8]-1x1[32]-> + proj(r)[32] -> GAP-Gemm"""
    b = GraphBuilder()
    s = b.cbr(b.input("x", [1, 3, 8, 8]), 3, 16)
    r = b.relu(b.op("Add", [b.bn(b.conv(b.cbr(b.cbr(s, 16, 4, k=1), 4, 4), 4, 16, k=1), 16), s]))
    m = b.bn(b.conv(b.cbr(b.cbr(r, 16, 8, k=1), 8, 8, stride=2), 8, 32, k=1), 32)
    p = b.bn(b.conv(r, 16, 32, k=1, stride=2), 32)
    f = b.op("Flatten", [b.gap(b.relu(b.op("Add", [m, p])))])
    return b.model([b.op("Gemm", [f, b.init(b.rand(32, 4, scale=0.2)), b.init(b.rand(4))])])


def mobilenetv2_block():
    """x[16] -1x1 expand[96]-Clip6- dw3x3 (group 96) -Clip6- 1x1 project[16]-bn -> Add(x) -> conv[6]"""
    b = GraphBuilder()
    x = b.cbr(b.input("x", [1, 3, 8, 8]), 3, 16)
    lim = [b.init(np.array(0, np.float32)), b.init(np.array(6, np.float32))]
    e = b.op("Clip", [b.bn(b.conv(x, 16, 96, k=1, bias=False), 96)] + lim)
    d = b.op("Clip", [b.bn(b.conv(e, 96, 96, group=96, bias=False), 96)] + lim)
    y = b.op("Add", [b.bn(b.conv(d, 96, 16, k=1, bias=False), 16), x])
    return b.model([b.conv(y, 16, 6, k=1)])


def se_block(gate: str = "HardSigmoid"):
    """x[64] --GAP-conv1x1[16]-Relu-conv1x1[64]-gate--> s[64,1,1]
        \\------------------------------------- Mul(x, s) -HardSwish- conv[5]"""
    b = GraphBuilder(opset=17)
    x = b.cbr(b.input("x", [1, 3, 8, 8]), 3, 64)
    s = b.op(gate, [b.conv(b.relu(b.conv(b.gap(x), 64, 16, k=1)), 16, 64, k=1)])
    return b.model([b.conv(b.op("HardSwish", [b.op("Mul", [x, s])]), 64, 5)])


def densenet_chain():
    """x0[8] -conv-> x1[4]; cat(x0,x1)[12] -conv-> x2[4]; cat(x0,x1,x2)[16] -transition 1x1[8]-AvgPool"""
    b = GraphBuilder()
    x0 = b.cbr(b.input("x", [1, 3, 8, 8]), 3, 8)
    x1 = b.cbr(x0, 8, 4)
    x2 = b.cbr(b.op("Concat", [x0, x1], axis=1), 12, 4)
    t = b.cbr(b.op("Concat", [x0, x1, x2], axis=1), 16, 8, k=1)
    return b.model([b.conv(b.op("AveragePool", [t], kernel_shape=[2, 2], strides=[2, 2]), 8, 3, k=1)])


def c2f(opset: int = 13):
    """x -cbr[16]- Split(axis 1, [8, 8]) -> a[8], c[8]; c -cbr-cbr-> d[8]; cat(a, c, d)[24] -cbr[16]
    (opset < 13 gives the sizes as an attribute, 13+ as an input)"""
    b = GraphBuilder(opset=opset)
    h = b.cbr(b.input("x", [1, 3, 8, 8]), 3, 16, k=1)
    if opset >= 13:
        a, c = b.op("Split", [h, b.init(np.array([8, 8], np.int64))], n_out=2, axis=1)
    else:
        a, c = b.op("Split", [h], n_out=2, axis=1, split=[8, 8])
    d = b.op("Add", [b.cbr(b.cbr(c, 8, 8), 8, 8), c])
    return b.model([b.cbr(b.op("Concat", [a, c, d], axis=1), 24, 16, k=1)])


def fpn():
    """c3[8]@8x8 -> c4[16]@4x4 -> c5[16]@2x2; laterals 1x1 -> l3,l4,l5 [8]
    p4 = l4 + Resize(l5, x2); p3 = l3 + Resize(p4, sizes); out = conv3x3(p3)[4]"""
    b = GraphBuilder(opset=13)
    c3 = b.cbr(b.input("x", [1, 3, 8, 8]), 3, 8)
    c4 = b.cbr(c3, 8, 16, stride=2)
    c5 = b.cbr(c4, 16, 16, stride=2)
    l3, l4, l5 = (b.conv(c, n, 8, k=1) for c, n in ((c3, 8), (c4, 16), (c5, 16)))
    scales = b.init(np.array([1, 1, 2, 2], np.float32))
    p4 = b.op("Add", [l4, b.op("Resize", [l5, "", scales], mode="nearest")])
    sizes = b.init(np.array([1, 8, 8, 8], np.int64))
    p3 = b.op("Add", [l3, b.op("Resize", [p4, "", "", sizes], mode="nearest")])
    return b.model([b.conv(p3, 8, 4)])


def unet():
    """e1[8]@8x8 -MaxPool- e2[16]@4x4 -ConvTranspose k2 s2-> u[8]@8x8; cat(e1, u)[16] -cbr[8]- 1x1[2]"""
    b = GraphBuilder()
    e1 = b.cbr(b.input("x", [1, 3, 8, 8]), 3, 8)
    e2 = b.cbr(b.op("MaxPool", [e1], kernel_shape=[2, 2], strides=[2, 2]), 8, 16)
    u = b.op("ConvTranspose", [e2, b.init(b.rand(16, 8, 2, 2)), b.init(b.rand(8))],
             kernel_shape=[2, 2], strides=[2, 2])
    d = b.cbr(b.op("Concat", [e1, b.relu(u)], axis=1), 16, 8)
    return b.model([b.conv(d, 8, 2, k=1)])


def gap_gemm_mlp():
    """x -cbr[64]- GAP - Flatten - Gemm[48] - Relu - Gemm[3]"""
    b = GraphBuilder()
    f = b.op("Flatten", [b.gap(b.cbr(b.input("x", [1, 3, 6, 6]), 3, 64))])
    h = b.relu(b.op("Gemm", [f, b.init(b.rand(64, 48, scale=0.2)), b.init(b.rand(48))]))
    return b.model([b.op("Gemm", [h, b.init(b.rand(48, 3, scale=0.2)), b.init(b.rand(3))])])


def matmul_head():
    """x -cbr[32]- ReduceMean(2,3) keepdims - Reshape([1,-1]) - MatMul[32x48] + bias - Relu - MatMul[48x3]"""
    b = GraphBuilder(opset=13)
    m = b.op("ReduceMean", [b.cbr(b.input("x", [1, 3, 6, 6]), 3, 32)], axes=[2, 3], keepdims=1)
    r = b.op("Reshape", [m, b.init(np.array([1, -1], np.int64))])
    h = b.relu(b.op("Add", [b.op("MatMul", [r, b.init(b.rand(32, 48, scale=0.2))]), b.init(b.rand(48))]))
    return b.model([b.op("MatMul", [h, b.init(b.rand(48, 3, scale=0.2))])])


def unknown_ops():
    """x -cbr[32]- LRN (no handler: mixes neighbouring channels) -cbr[32]- DepthToSpace(2) [8]@16x16
    -cbr[48]-cbr[16]; the LRN input/output and the DepthToSpace input must stay pinned."""
    b = GraphBuilder()
    h = b.cbr(b.input("x", [1, 3, 8, 8]), 3, 32)
    h = b.cbr(b.op("LRN", [h], size=3), 32, 32)
    h = b.op("DepthToSpace", [h], blocksize=2)
    return b.model([b.cbr(b.cbr(h, 8, 48), 48, 16)])


def grouped_convs():
    """x -cbr[8]- conv group=4 [16] -Relu- conv group=2 [16] -Relu- ConvTranspose group=2 [8] - conv[3]"""
    b = GraphBuilder()
    h = b.cbr(b.input("x", [1, 3, 8, 8]), 3, 8)
    h = b.relu(b.conv(h, 8, 16, group=4))
    h = b.relu(b.conv(h, 16, 16, group=2))
    t = b.op("ConvTranspose", [h, b.init(b.rand(16, 4, 2, 2)), b.init(b.rand(8))], kernel_shape=[2, 2],
             strides=[2, 2], group=2)
    return b.model([b.conv(t, 8, 3)])


def elementwise_mix():
    """x -conv[8]- InstanceNorm - PRelu(slope [8,1,1]) - LeakyRelu -> a
    a * k[1,8,1,1] (Constant node) + q[8,1,1] -> b; Sub/Div/Max/Min/Sum/Mean of b with conv(b); conv[3]"""
    b = GraphBuilder()
    h = b.conv(b.input("x", [1, 3, 8, 8]), 3, 8)
    h = b.op("InstanceNormalization", [h, b.init(b.rand(8) + 1), b.init(b.rand(8))])
    h = b.op("LeakyRelu", [b.op("PRelu", [h, b.init(b.rand(8, 1, 1))])], alpha=0.1)
    h = b.op("Add", [b.op("Mul", [h, b.const_node(b.rand(1, 8, 1, 1))]), b.init(b.rand(8, 1, 1))])
    c = b.conv(h, 8, 8)
    pos = b.op("Add", [b.op("Abs", [c]), b.init(np.array(1.0, np.float32))])
    m = b.op("Mean", [b.op("Sum", [b.op("Sub", [h, c]), b.op("Div", [h, pos])]),
                      b.op("Max", [h, c]), b.op("Min", [h, c])])
    return b.model([b.conv(b.op("Tanh", [m]), 8, 3)])


def slice_channels():
    """x -cbr[48]- Slice(axis 1, 8:40) [32] -cbr[16]; the same [48] -> conv[16]; Add -> conv[3]"""
    b = GraphBuilder(opset=13)
    h = b.cbr(b.input("x", [1, 3, 8, 8]), 3, 48)
    s = b.op("Slice", [h] + [b.init(np.array(v, np.int64)) for v in ([8], [40], [1], [1])])
    return b.model([b.conv(b.op("Add", [b.cbr(s, 32, 16), b.conv(h, 48, 16)]), 16, 3)])


def pad_resize_sizes():
    """x -cbr[8]- Pad(spatial 1) -conv k3 no pad[8]- Resize(sizes 1x8x16x16) - Softmax(axis -1) - conv[2]"""
    b = GraphBuilder(opset=13)
    h = b.cbr(b.input("x", [1, 3, 8, 8]), 3, 8)
    p = b.op("Pad", [h, b.init(np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64))], mode="reflect")
    c = b.op("Conv", [p, b.init(b.rand(8, 8, 3, 3))], kernel_shape=[3, 3])
    r = b.op("Resize", [c, "", "", b.init(np.array([1, 8, 16, 16], np.int64))], mode="linear")
    return b.model([b.conv(b.op("Softmax", [r], axis=-1), 8, 2)])


def upsample_opset9():
    """opset 9: x -cbr[8]- Upsample(scales [1,1,2,2]) -cbr[8]- MaxPool - conv[2]; BN with 5 inputs"""
    b = GraphBuilder(opset=9, ir_version=4)
    h = b.cbr(b.input("x", [1, 3, 4, 4]), 3, 8)
    u = b.op("Upsample", [h, b.init(np.array([1, 1, 2, 2], np.float32))], mode="nearest")
    h = b.op("MaxPool", [b.cbr(u, 8, 8)], kernel_shape=[2, 2], strides=[2, 2])
    return b.model([b.conv(h, 8, 2)])


def shared_weights():
    """One initializer W[8,8,3,3] read by two convs (and through an Identity by a third):
    x -cbr[8]- conv(W) -> a[8] -Relu-conv[3]; x -cbr[8]- Identity(W) conv -> c[8] -Relu-conv[3]"""
    b = GraphBuilder()
    x = b.input("x", [1, 3, 8, 8])
    w = b.init(b.rand(8, 8, 3, 3))
    wi = b.op("Identity", [w])
    a = b.relu(b.conv(b.cbr(x, 3, 8), 8, 8, weight=w))
    c = b.relu(b.conv(b.cbr(x, 3, 8), 8, 8, weight=wi))
    return b.model([b.conv(a, 8, 3), b.conv(c, 8, 3)])


def channels_last_matmul():
    """x -cbr[32]- Transpose(NHWC) - MatMul[32x48] - Relu - Transpose(NCHW) [48] - conv[3]"""
    b = GraphBuilder()
    h = b.op("Transpose", [b.cbr(b.input("x", [1, 3, 4, 4]), 3, 32)], perm=[0, 2, 3, 1])
    h = b.relu(b.op("MatMul", [h, b.init(b.rand(32, 48, scale=0.2))]))
    return b.model([b.conv(b.op("Transpose", [h], perm=[0, 3, 1, 2]), 48, 3)])


def dynamic_batch():
    """Batch dimension 'N' is symbolic: x[N,3,8,8] -cbr[32]-cbr[64]- GAP - Flatten - Gemm[4]"""
    b = GraphBuilder()
    x = b.input("x", [1, 3, 8, 8], dims=["N", 3, 8, 8])
    f = b.op("Flatten", [b.gap(b.cbr(b.cbr(x, 3, 32), 32, 64))])
    return b.model([b.op("Gemm", [f, b.init(b.rand(64, 4, scale=0.2)), b.init(b.rand(4))])])


def alexnet_grouped():
    """Few wide groups (AlexNet group=2): x -cbr[32]- conv g=2 [64] -Relu- conv g=2 [64] -Relu- conv[4];
    channels are pruned inside the groups (each group loses the same ones), ``group`` stays 2."""
    b = GraphBuilder()
    h = b.cbr(b.input("x", [1, 3, 8, 8]), 3, 32)
    h = b.relu(b.conv(h, 32, 64, group=2))
    return b.model([b.conv(b.relu(b.conv(h, 64, 64, group=2)), 64, 4)])


def channel_shuffle():
    """ShuffleNet unit: x -cbr[32]- conv1x1 g=4 [64] -Reshape[1,4,16,H,W]-Transpose(0,2,1)-Reshape[1,64,H,W]
    - depthwise [64] - conv1x1 g=4 [32] -> Add(x) -> conv[3]"""
    b = GraphBuilder()
    x = b.cbr(b.input("x", [1, 3, 8, 8]), 3, 32)
    h = b.relu(b.bn(b.conv(x, 32, 64, k=1, group=4), 64))
    h = b.op("Reshape", [h, b.init(np.array([1, 4, 16, 8, 8], np.int64))])
    h = b.op("Transpose", [h], perm=[0, 2, 1, 3, 4])
    h = b.op("Reshape", [h, b.init(np.array([1, 64, 8, 8], np.int64))])
    h = b.bn(b.conv(h, 64, 64, group=64), 64)
    y = b.op("Add", [b.bn(b.conv(h, 64, 32, k=1, group=4), 32), x])
    return b.model([b.conv(b.relu(y), 32, 3)])


def pad_channel_residual():
    """BlazeFace: x[16] -dw-conv1x1[32]- a ; x -MaxPool- Pad(channels 0..16 zeros after) [32] ; a + pad -> conv[4]
    The padded channels exist on the skip path only; they are removed together with a's."""
    b = GraphBuilder(opset=13)
    x = b.cbr(b.input("x", [1, 3, 8, 8]), 3, 16)
    a = b.bn(b.conv(b.conv(x, 16, 16, group=16), 16, 32, k=1), 32)
    p = b.op("Pad", [b.op("MaxPool", [x], kernel_shape=[2, 2], strides=[1, 1], pads=[0, 0, 1, 1]),
                     b.init(np.array([0, 0, 0, 0, 0, 16, 0, 0], np.int64))], mode="constant")
    return b.model([b.conv(b.relu(b.op("Add", [a, p])), 32, 4)])


def nhwc_input():
    """tf2onnx: x NHWC [1,8,8,3] -Transpose(0,3,1,2)- cbr[32] -Transpose(NHWC)-Relu-Transpose(NCHW)- cbr[16] -conv[4]"""
    b = GraphBuilder()
    x = b.op("Transpose", [b.input("x", [1, 8, 8, 3])], perm=[0, 3, 1, 2])
    h = b.op("Transpose", [b.cbr(x, 3, 32)], perm=[0, 2, 3, 1])
    h = b.op("Transpose", [b.relu(h)], perm=[0, 3, 1, 2])
    return b.model([b.conv(b.cbr(h, 32, 16), 16, 4)])


def convnext_block():
    """x[32] -dw7x7- Transpose(NHWC) - LayerNorm(C) - MatMul[32x128]+b - Gelu~Erf - MatMul[128x32]+b
    - *gamma - Transpose(NCHW) + x -> conv[4]. LayerNorm pins the residual; the MLP hidden shrinks."""
    b = GraphBuilder(opset=17)
    x = b.cbr(b.input("x", [1, 3, 8, 8]), 3, 32)
    h = b.op("Transpose", [b.conv(x, 32, 32, k=7, group=32)], perm=[0, 2, 3, 1])
    h = b.op("LayerNormalization", [h, b.init(b.rand(32) + 1), b.init(b.rand(32))], axis=-1)
    h = b.op("Add", [b.op("MatMul", [h, b.init(b.rand(32, 128, scale=0.2))]), b.init(b.rand(128))])
    h = b.op("Mul", [h, b.op("Sigmoid", [h])])
    h = b.op("Add", [b.op("MatMul", [h, b.init(b.rand(128, 32, scale=0.1))]), b.init(b.rand(32))])
    h = b.op("Transpose", [b.op("Mul", [h, b.init(b.rand(32))])], perm=[0, 3, 1, 2])
    return b.model([b.conv(b.op("Add", [x, h]), 32, 4)])


def chunk_runtime_slices():
    """torch legacy ``chunk(2, 1)``: bounds from Shape(x)[1]: s=(C+1)//2; a=x[:, 0:s], c=x[:, s:2s]
    x -cbr[32]- a, c ; c -cbr[16]- d ; cat(a, d) -> conv[4]. Both halves must lose the same channels."""
    b = GraphBuilder(opset=13)
    x = b.cbr(b.input("x", [1, 3, 8, 8]), 3, 32)
    c = b.op("Gather", [b.op("Shape", [x]), b.init(np.array(1, np.int64))], axis=0)
    half = b.op("Div", [b.op("Add", [c, b.init(np.array(1, np.int64))]), b.init(np.array(2, np.int64))])
    half = b.op("Unsqueeze", [half, b.init(np.array([0], np.int64))])
    two = b.op("Mul", [half, b.init(np.array([2], np.int64))])
    axis = b.init(np.array([1], np.int64))
    a = b.op("Slice", [x, b.init(np.array([0], np.int64)), half, axis])
    s = b.op("Slice", [x, half, two, axis])
    return b.model([b.conv(b.op("Concat", [a, b.cbr(s, 16, 16)], axis=1), 32, 4)])


def if_branch():
    """Control flow: x -cbr[16]- If(cond) {then: Relu(h) | else: Sigmoid(h)} -cbr[8]-conv[4];
    channels crossing into the branches stay pinned, the convs after it still shrink."""
    from onnx import TensorProto, helper
    b = GraphBuilder()
    h = b.cbr(b.input("x", [1, 3, 8, 8]), 3, 16)
    cond = b.init(np.array(True))
    out_t = helper.make_tensor_value_info("then_out", TensorProto.FLOAT, [1, 16, 8, 8])
    out_e = helper.make_tensor_value_info("else_out", TensorProto.FLOAT, [1, 16, 8, 8])
    then = helper.make_graph([helper.make_node("Relu", [h], ["then_out"])], "then", [], [out_t])
    other = helper.make_graph([helper.make_node("Sigmoid", [h], ["else_out"])], "else", [], [out_e])
    y = b.op("If", [cond], then_branch=then, else_branch=other)
    return b.model([b.conv(b.cbr(y, 16, 32), 32, 4)])


def constant_of_shape_weights():
    """caffe2 "light" models: every weight is ConstantOfShape(shape)=0.02 and per-channel BN params
    come through Unsqueeze: x -Conv(W=COS)-BN-Relu-Mul(Unsqueeze(COS[C]))-Conv(W=COS)[4]"""
    from onnx import helper, numpy_helper
    b = GraphBuilder(opset=11)

    def cos(shape, fill):
        out = b._name("cos")
        b.nodes.append(helper.make_node("ConstantOfShape", [b.init(np.array(shape, np.int64), "shape")],
                                        [out], name=f"{out}_node",
                                        value=numpy_helper.from_array(np.array([fill], np.float32))))
        return out
    h = b.cbr(b.input("x", [1, 3, 8, 8]), 3, 32)
    h = b.relu(b.conv(h, 32, 32, weight=cos([32, 32, 3, 3], 0.02)))
    scale = b.op("Unsqueeze", [cos([32], 0.5)], axes=[1, 2])
    return b.model([b.conv(b.op("Mul", [h, scale]), 32, 4, weight=cos([4, 32, 3, 3], 0.03))])


def sum_residual_se_opset9():
    """opset 9, PP-LCNet/MobileNetV3 style: x[32] -conv-bn-HardSwish~(x*HardSigmoid(x))- h ;
    SE: ReduceMean(2,3) - conv[8] - Relu - conv[32] - HardSigmoid ; Sum(x, h*gate) -> conv[4]"""
    b = GraphBuilder(opset=9, ir_version=4)
    x = b.cbr(b.input("x", [1, 3, 8, 8]), 3, 32)
    c = b.bn(b.conv(x, 32, 32, bias=False), 32)
    h = b.op("Mul", [c, b.op("HardSigmoid", [c], alpha=1 / 6, beta=0.5)])
    g = b.op("ReduceMean", [h], axes=[2, 3], keepdims=1)
    g = b.op("HardSigmoid", [b.conv(b.relu(b.conv(g, 32, 8, k=1)), 8, 32, k=1)], alpha=0.2, beta=0.5)
    return b.model([b.conv(b.op("Sum", [x, b.op("Mul", [h, g])]), 32, 4)])


def attention_mlp():
    """SVTR-like neck: x[32]@4x4 -Reshape[1,32,16]-Transpose-> t[1,16,32]; q,k,v = t@Wq,Wk,Wv [32x32];
    a = Softmax(q @ k^T) @ v (activation x activation: pinned); t + a -> MatMul[32x64]-Relu-MatMul[64x32]
    -> y. The attention pins the stream; the MLP hidden width (64) is provable and shrinks."""
    b = GraphBuilder(opset=13)
    x = b.cbr(b.input("x", [1, 3, 4, 4]), 3, 32)
    t = b.op("Transpose", [b.op("Reshape", [x, b.init(np.array([1, 32, 16], np.int64))])], perm=[0, 2, 1])
    q, k, v = (b.op("MatMul", [t, b.init(b.rand(32, 32, scale=0.2))]) for _ in range(3))
    att = b.op("Softmax", [b.op("MatMul", [q, b.op("Transpose", [k], perm=[0, 2, 1])])], axis=-1)
    s = b.op("Add", [t, b.op("MatMul", [att, v])])
    hid = b.relu(b.op("MatMul", [s, b.init(b.rand(32, 64, scale=0.2))]))
    return b.model([b.op("MatMul", [hid, b.init(b.rand(64, 32, scale=0.2))])])


def computed_reshape_head():
    """paddle2onnx cls head: x -cbr[32]- GAP -Reshape(Concat(Cast(Slice(Shape(gap), 0:1)), Cast(Const[32])))
    - MatMul[32x3]. The 32 sits behind a Cast inside a computed shape; the rewriter replaces it."""
    b = GraphBuilder(opset=13)
    g = b.gap(b.cbr(b.input("x", [1, 3, 8, 8]), 3, 32))
    batch = b.op("Slice", [b.op("Shape", [g])] + [b.init(np.array([v], np.int64)) for v in (0, 1, 0)])
    chans = b.op("Cast", [b.const_node(np.array([32], np.int32))], to=7)
    shape = b.op("Concat", [b.op("Cast", [batch], to=7), chans], axis=0)
    y = b.op("MatMul", [b.op("Reshape", [g, shape]), b.init(b.rand(32, 3, scale=0.2))])
    return b.model([y], shapes={y: [1, 3]})


def gather_head():
    """dynamo head: x -cbr[32]- ReduceMean(2,3) keepdims [1,32,1,1] -Gather(axis 3, index 0)- [1,32,1]
    -Gather(axis 2, index 0)- [1,32] -Gemm[32x4]; Gathers on other axes pass the channels through."""
    b = GraphBuilder(opset=13)
    m = b.op("ReduceMean", [b.cbr(b.input("x", [1, 3, 8, 8]), 3, 32)], axes=[2, 3], keepdims=1)
    zero = b.init(np.array(0, np.int64))
    g = b.op("Gather", [b.op("Gather", [m, zero], axis=3), zero], axis=2)
    return b.model([b.op("Gemm", [g, b.init(b.rand(32, 4, scale=0.2)), b.init(b.rand(4))])])


CASES = {fn.__name__: fn for fn in (
    gather_head, computed_reshape_head, constant_of_shape_weights, sum_residual_se_opset9, attention_mlp,
    pad_channel_residual, nhwc_input, convnext_block, chunk_runtime_slices, if_branch,
    alexnet_grouped, channel_shuffle,
    vgg_flatten_gemm, resnet_basic, resnet_bottleneck, mobilenetv2_block, se_block, densenet_chain,
    c2f, fpn, unet, gap_gemm_mlp, matmul_head, unknown_ops, grouped_convs, elementwise_mix,
    slice_channels, pad_resize_sizes, upsample_opset9, shared_weights, channels_last_matmul,
    dynamic_batch)}
CASES["se_block_sigmoid"] = lambda: se_block("Sigmoid")
CASES["c2f_opset11"] = lambda: c2f(11)
