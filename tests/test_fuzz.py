"""Property: on any random graph of supported ops (plus ops with no handler), any random plan goes
through the rewriter to a model that passes the ONNX checker and the zero-then-prune oracle.

CI runs 100 examples; set ONNXPRUNE_FUZZ_EXAMPLES=1000 for the long run (docs/fuzzing.md).
"""
import os

import numpy as np
import onnx
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import onnxprune
from onnxprune.rewrite import rewrite
from fuzz_graphs import random_model
from helpers import ORACLE_TOL, random_plan
from onnxprune.verify import oracle_error

EXAMPLES = int(os.environ.get("ONNXPRUNE_FUZZ_EXAMPLES", "100"))


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_random_graphs_pass_oracle(data):
    model, ops = random_model(data)
    a = onnxprune.analyze(model)
    plan = random_plan(a, np.random.default_rng(data.draw(st.integers(0, 2**16), label="plan_seed")))
    event(f"channels removed: {'yes' if plan.removed.size else 'no'}")
    event(f"ops drawn: {len(ops) // 4 * 4}-{len(ops) // 4 * 4 + 3}")
    pruned = rewrite(a, plan)
    onnx.checker.check_model(pruned, full_check=True)
    err = oracle_error(a, plan, pruned=pruned)
    assert err <= ORACLE_TOL, f"oracle error {err:g} on ops {ops}"
    if "unknown" in ops:
        lrn = [n.output[0] for n in model.graph.node if n.op_type == "LRN"]
        for g in a.groups:
            if any(a.spaces[s].tensor in lrn for s, _ in g.footprint):
                assert not g.prunable
