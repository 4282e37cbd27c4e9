"""The zero-then-prune oracle over every test architecture and random plans.

Removing channel c must equal zeroing every weight that consumes c: for each architecture and seed,
a random plan is applied both ways and onnxruntime (optimisations off) must agree to 1e-4.
"""
from pathlib import Path

import numpy as np
import onnx
import pytest

import onnxprune
from graphs import CASES
from helpers import assert_oracle, random_plan

FIXTURES = sorted((Path(__file__).parent / "fixtures").glob("*.onnx"))
SEEDS = (0, 1, 2)


@pytest.fixture(scope="module")
def analyses():
    return {}


def _analysis(cache, key, build):
    if key not in cache:
        cache[key] = onnxprune.analyze(build())
    return cache[key]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_built_graphs_pass_oracle(case, seed, analyses):
    a = _analysis(analyses, case, CASES[case])
    assert a.prunable_groups(), f"{case}: nothing prunable"
    plan = random_plan(a, np.random.default_rng(seed))
    assert plan.removed.size > 0 and plan.ratio < 1
    assert_oracle(a, plan, seed)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_torch_exports_pass_oracle(path, seed, analyses):
    a = _analysis(analyses, path.stem, lambda: onnx.load(str(path)))
    assert a.prunable_groups(), f"{path.name}: nothing prunable"
    assert_oracle(a, random_plan(a, np.random.default_rng(seed)), seed)


def test_fixtures_present():
    """Both exporters' idioms must be covered (see tests/fixtures/README.md)."""
    stems = {p.stem for p in FIXTURES}
    assert any(s.endswith("_legacy") for s in stems) and any(s.endswith("_dynamo") for s in stems)


def test_oracle_catches_a_wrong_rewrite():
    """The oracle is not vacuous: removing channels without rewiring the consumer is caught."""
    from onnxprune.plan import plan_from_components
    from onnxprune.verify import oracle_error, zero_consumers
    a = onnxprune.analyze(CASES["vgg_flatten_gemm"]())
    g = a.prunable_groups()[0]
    plan = plan_from_components(a, g.components[:2])
    other = plan_from_components(a, g.components[2:4])
    wrong = zero_consumers(a, other)      # zeroes the wrong channels: not what pruning gives
    err = oracle_error(a, plan, pruned=None)
    assert err <= 1e-4
    from onnxprune.rewrite import rewrite
    from onnxprune.runtime import random_feeds, run
    feeds = random_feeds(a.graph.model, a.graph.shapes, 0)
    diff = np.max(np.abs(run(wrong, feeds, optimize=False)[0] - run(rewrite(a, plan), feeds, optimize=False)[0]))
    assert diff > 1e-3
