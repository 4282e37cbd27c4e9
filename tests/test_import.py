"""The core and the CLI never import torch (it is an optional extra)."""
import subprocess
import sys


def test_import_does_not_pull_torch():
    code = ("import sys, onnxprune, onnxprune.cli; "
            "assert 'torch' not in sys.modules, 'torch imported'; print(onnxprune.__version__)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip()


def test_public_api_surface():
    import onnxprune
    for name in ("load", "analyze", "prune", "PruneConfig", "OnnxPruneError", "__version__"):
        assert hasattr(onnxprune, name)
