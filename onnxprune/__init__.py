"""onnxprune: structured channel pruning of ONNX models.

Public API: :func:`load`, :func:`analyze`, :func:`prune`, :class:`PruneConfig`, the errors.
"""
from .api import PruneResult, analyze, load, prune
from .config import PruneConfig
from .errors import (ConfigError, ModelLoadError, OnnxPruneError, OutputPathError, RewriteError,
                     TargetUnreachableError, UnsupportedModelError, VerificationError)

__version__ = "0.1.0"

__all__ = ["load", "analyze", "prune", "PruneConfig", "PruneResult", "OnnxPruneError", "ModelLoadError",
           "UnsupportedModelError", "ConfigError", "TargetUnreachableError", "RewriteError",
           "VerificationError", "OutputPathError", "__version__"]
