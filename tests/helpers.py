"""Shared test helpers: random plans and the oracle assertion."""
from __future__ import annotations

import numpy as np

from onnxprune.analysis import Analysis
from onnxprune.plan import plan_from_components
from onnxprune.verify import oracle_error

ORACLE_TOL = 1e-4


def random_plan(a: Analysis, rng: np.random.Generator):
    """Remove a random non-empty subset of each prunable group's components, keeping at least one."""
    removed = []
    for g in a.prunable_groups():
        n = int(rng.integers(1, g.width)) if g.width > 1 else 0
        removed.append(rng.choice(g.components, size=n, replace=False))
    return plan_from_components(a, np.concatenate(removed) if removed else np.zeros(0, np.int64))


def assert_oracle(a: Analysis, plan, seed: int = 0) -> float:
    err = oracle_error(a, plan, seed=seed)
    assert err <= ORACLE_TOL, f"zero-then-prune oracle: max abs error {err:g} > {ORACLE_TOL}"
    return err
