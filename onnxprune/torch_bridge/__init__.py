"""Optional PyTorch bridge: execute an ONNX graph with torch, weights as trainable parameters.

Needs ``pip install onnxprune[torch]`` (torch==2.13.0). Importing :mod:`onnxprune` never imports
this package.
"""
from .module import BridgeError, OnnxModule

__all__ = ["BridgeError", "OnnxModule"]
