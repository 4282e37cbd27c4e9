"""What the CPU running onnxruntime prefers: the channel block of its NCHWc convolution kernels."""
from __future__ import annotations

import platform
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=1)
def cpu_flags() -> frozenset[str]:
    """CPU feature flags from /proc/cpuinfo (empty where that file does not exist)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return frozenset()
    for line in text.splitlines():
        if line.startswith(("flags", "Features")):
            return frozenset(line.split(":", 1)[1].split())
    return frozenset()


def nchwc_block(flags: frozenset[str] | None = None, machine: str | None = None) -> int:
    """onnxruntime's NCHWc block size on this CPU: 16 floats with AVX-512, 8 with AVX/AVX2, else 4.

    Channel counts that are multiples of it keep every conv on the blocked kernels
    (docs/rounding.md measures 16 against 1, 4, 8 and 32 on an AVX-512 machine).
    """
    flags = cpu_flags() if flags is None else flags
    machine = (machine or platform.machine()).lower()
    if machine in ("x86_64", "amd64", "i686", "x86"):
        if "avx512f" in flags:
            return 16
        if "avx2" in flags or "avx" in flags:
            return 8
    return 4
