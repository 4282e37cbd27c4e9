"""One exception hierarchy for onnxprune.

Every message names the model element (file, node, tensor) and says what to do; the CLI prints
``str(error)`` as a single line and exits 1.
"""


class OnnxPruneError(Exception):
    """Base class of every error onnxprune raises on purpose."""


class ModelLoadError(OnnxPruneError):
    """The input could not be read as a valid ONNX model."""


class UnsupportedModelError(OnnxPruneError):
    """The model is valid ONNX but cannot be pruned (quantized, opset out of range, ...)."""


class ConfigError(OnnxPruneError):
    """An option value is out of range or inconsistent."""


class TargetUnreachableError(OnnxPruneError):
    """The FLOPs target cannot be met; ``reachable`` is the lowest ratio that can."""

    def __init__(self, message: str, reachable: float):
        super().__init__(message)
        self.reachable = reachable


class RewriteError(OnnxPruneError):
    """Applying a plan failed; this is a bug in a handler (please report it with the model)."""


class VerificationError(OnnxPruneError):
    """The pruned model failed the checker, onnxruntime, or an output-shape comparison."""


class OutputPathError(OnnxPruneError):
    """The output path cannot be written (missing directory, same as input, ...)."""
