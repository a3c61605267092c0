"""Third-party log lines that every CPU run would show and no user can act on, each dropped by its exact prefix.

bitsandbytes (imported by peft, which TRL imports) tries, on CPUs with AVX512-BF16, to fetch an optional 4-bit matmul
kernel from the Hugging Face Hub when it is imported (bitsandbytes/backends/cpu/ops.py) and warns when it cannot
(offline, no network, an unverified publisher); it then uses its own CPU implementation of the same matmul. The
kernels package says the same once more in offline mode. ``import grpo_plus`` installs the filters, so Python users
and the CLI both start clean; every other line of those loggers still shows.
"""

from __future__ import annotations

import logging

KNOWN_NOISE = {
    "bitsandbytes.backends.cpu.ops": "Failed to load CPU gemm_4bit_forward from kernels-community",
    "kernels._internals.hf_hub": "Skipping publisher trust check for 'kernels-community/quantization-bitsandbytes'",
}


class DropPrefix(logging.Filter):
    """Drops the records whose message starts with ``prefix``."""

    def __init__(self, prefix: str):
        super().__init__()
        self.prefix = prefix

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(self.prefix)


def drop_known_noise() -> None:
    """Add a :class:`DropPrefix` for each :data:`KNOWN_NOISE` entry to its logger (once, however often called)."""
    for name, prefix in KNOWN_NOISE.items():
        noisy = logging.getLogger(name)
        if not any(isinstance(f, DropPrefix) and f.prefix == prefix for f in noisy.filters):
            noisy.addFilter(DropPrefix(prefix))
