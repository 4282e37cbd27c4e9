"""Channel importance over whole coupled components."""
import numpy as np
from onnx import numpy_helper

import onnxprune
from onnxprune.importance import component_scores
from graphs import CASES


def _set(model, name, fn):
    init = next(t for t in model.graph.initializer if t.name == name)
    init.CopyFrom(numpy_helper.from_array(fn(numpy_helper.to_array(init).copy()), name))


def _first_conv_bn(model):
    conv = next(n for n in model.graph.node if n.op_type == "Conv")
    bn = next(n for n in model.graph.node if n.op_type == "BatchNormalization")
    return conv, bn


def _rank_first(a, scores, tensor, k):
    comps = a.component[a.ids(a.space_of(tensor).id)]
    pool = np.concatenate([g.components for g in a.prunable_groups()])
    weakest = set(pool[np.argsort(scores[pool], kind="stable")[:k]].tolist())
    return set(comps[:k].tolist()) == weakest


def test_bn_scale_criterion_follows_gamma():
    """Channels with big filters but near-zero BN scale: bn_scale ranks them weakest, l2 does not."""
    model = CASES["vgg_flatten_gemm"]()
    conv, bn = _first_conv_bn(model)
    _set(model, conv.input[1], lambda w: (w.__setitem__(slice(0, 4), w[:4] * 50), w)[1])
    _set(model, bn.input[1], lambda g: (g.__setitem__(slice(0, 4), 1e-4), g)[1])
    a = onnxprune.analyze(model)
    assert _rank_first(a, component_scores(a, "bn_scale"), conv.output[0], 4)
    assert not _rank_first(a, component_scores(a, "l2"), conv.output[0], 4)


def test_scores_cover_every_member_and_are_normalised():
    a = onnxprune.analyze(CASES["resnet_bottleneck"]())
    for criterion in ("l1", "l2"):
        scores = component_scores(a, criterion)
        for g in a.prunable_groups():
            s = scores[g.components]
            assert np.all(s > 0)
            assert 0.5 < s.mean() < 1.5          # each weight's norms are divided by their mean
    plain, with_consumers = component_scores(a), component_scores(a, include_consumers=True)
    assert not np.allclose(plain, with_consumers)


def test_residual_group_counts_all_producers():
    """A residual stage's channel is made by two convs: both filters count in its score."""
    model = CASES["resnet_basic"]()
    a = onnxprune.analyze(model)
    adds = [n for n in model.graph.node if n.op_type == "Add"]
    group = next(g for g in a.prunable_groups()
                 if any(a.spaces[s].tensor == adds[0].output[0] for s, _ in g.footprint))
    producers = {sl.node for sl in a.slices if sl.role == "produces" and
                 any(sl.space == s for s, _ in group.footprint)}
    assert len(producers) == 2
