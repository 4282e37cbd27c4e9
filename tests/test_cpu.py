"""--round-to auto follows onnxruntime's NCHWc block for the CPU."""
import pytest

from onnxprune import PruneConfig
from onnxprune.cpu import nchwc_block


@pytest.mark.parametrize("flags, machine, block", [
    ({"avx512f", "avx2", "sse4_2"}, "x86_64", 16),
    ({"avx2", "avx"}, "x86_64", 8),
    ({"sse4_2"}, "x86_64", 4),
    ({"neon", "asimd"}, "aarch64", 4),
])
def test_nchwc_block(flags, machine, block):
    assert nchwc_block(frozenset(flags), machine) == block


def test_auto_resolves_to_this_cpu():
    assert PruneConfig(round_to="auto").round_to == nchwc_block()
    with pytest.raises(Exception, match="auto"):
        PruneConfig(round_to="fast")
