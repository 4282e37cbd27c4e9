"""DEGL: the group-lasso penalty over the analyzer's coupled groups, its gradient (gradcheck) and
the proximal step that zeroes whole groups exactly."""
import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="DEGL needs `pip install onnxprune[torch]`")

import onnxprune  # noqa: E402
from onnxprune.importance import component_scores  # noqa: E402
from onnxprune.torch_bridge import OnnxModule  # noqa: E402
from onnxprune.torch_bridge.degl import GroupLasso, directed_weights  # noqa: E402
from graphs import CASES  # noqa: E402


def _setup(case="resnet_basic", dtype=torch.float64):
    a = onnxprune.analyze(CASES[case]())
    module = OnnxModule(a.graph).to(dtype)
    groups = np.concatenate([g.components for g in a.prunable_groups()])
    return a, module, groups


def test_penalty_matches_a_direct_computation():
    a, module, groups = _setup()
    lasso = GroupLasso(a, module, groups)
    # by hand: gather every member slice of component c over all its weights
    norms = np.zeros(len(groups))
    sizes = np.zeros(len(groups))
    pos = {int(c): i for i, c in enumerate(groups)}
    for sl in a.slices:
        if sl.tensor not in module.parameter_names or not module.parameter(sl.tensor).requires_grad:
            continue
        w = module.parameter(sl.tensor).detach().numpy()
        comps = a.component[a.ids(sl.space)][: sl.period or None]
        for j, c in enumerate(comps):
            if int(c) in pos:
                piece = np.take(w, j, axis=sl.axis)
                norms[pos[int(c)]] += float((piece ** 2).sum())
                sizes[pos[int(c)]] += piece.size
    want = 0.3 * float((np.sqrt(sizes) * np.sqrt(norms)).sum())
    assert float(lasso.penalty(0.3).detach()) == pytest.approx(want, rel=1e-10)
    assert np.all(sizes > 0)


def _tiny():
    """x[3] -conv[4]-BN-Relu- conv[3]: small enough for a numerical Jacobian."""
    from builder import GraphBuilder
    b = GraphBuilder()
    return b.model([b.conv(b.relu(b.bn(b.conv(b.input("x", [1, 3, 4, 4]), 3, 4, k=1), 4)), 4, 3, k=1)])


def test_penalty_gradient_passes_gradcheck():
    a = onnxprune.analyze(_tiny())
    module = OnnxModule(a.graph).to(torch.float64)
    groups = np.concatenate([g.components for g in a.prunable_groups()])
    lasso = GroupLasso(a, module, groups)
    params = [p for p in module.weights.values() if p.requires_grad]

    inputs = tuple(p.detach().clone().requires_grad_(True) for p in params)
    assert torch.autograd.gradcheck(lambda *v: _penalty_with(lasso, module, params, v), inputs, eps=1e-6, atol=1e-5)


def _penalty_with(lasso, module, params, values):
    keys = [k for k, q in module.weights.items() if q.requires_grad]
    for k, v in zip(keys, values):
        module.weights._parameters[k] = v
    return lasso.penalty(0.1, 0.01)


def test_prox_zeroes_whole_groups_exactly():
    a, module, groups = _setup()
    lasso = GroupLasso(a, module, groups)
    norms = lasso.group_norms()
    step = float((norms / lasso.coef).median())          # about half the groups fall below the threshold
    lasso.prox(step)
    zero = lasso.zero_groups()
    assert 0 < len(zero) < len(groups)
    after = lasso.squared_norms().sqrt()
    assert torch.all(after[zero] == 0)
    survivors = torch.ones(len(groups), dtype=torch.bool)
    survivors[zero] = False
    assert torch.all(after[survivors] > 0) and torch.all(after[survivors] < norms[survivors])


def test_directed_weights_grow_with_rank():
    a, module, groups = _setup()
    scores = component_scores(a)
    w = directed_weights(a, scores, groups, growth=2.0)
    g = a.prunable_groups()[0]
    idx = [list(groups).index(c) for c in g.components]
    order = np.argsort(-scores[g.components])
    assert w[idx[order[0]]] == pytest.approx(1.0) and w[idx[order[-1]]] == pytest.approx(3.0)
