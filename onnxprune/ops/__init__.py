"""Op handlers. Importing this package registers every handler in :mod:`.registry`."""
from . import conv, elementwise, layout, linear, norm, pool, reshape, shape  # noqa: F401
from .registry import known_ops, lookup, register

__all__ = ["known_ops", "lookup", "register"]
