"""Known third-party noise is dropped from the moment grpo_plus is imported, and nothing else is."""

from __future__ import annotations

import logging
import subprocess
import sys

from grpo_plus import noise


def test_known_noise_is_dropped_and_nothing_else(caplog):
    noisy = logging.getLogger("bitsandbytes.backends.cpu.ops")
    with caplog.at_level(logging.WARNING, logger="bitsandbytes"):
        noisy.warning("Failed to load CPU gemm_4bit_forward from kernels-community: offline. Please make sure ...")
        noisy.warning("some other bitsandbytes warning")
    assert [r.getMessage() for r in caplog.records] == ["some other bitsandbytes warning"]


def test_filters_installed_once_however_often_called():
    noise.drop_known_noise()
    noise.drop_known_noise()
    for name, prefix in noise.KNOWN_NOISE.items():
        drops = [f for f in logging.getLogger(name).filters if isinstance(f, noise.DropPrefix)]
        assert [f.prefix for f in drops] == [prefix]


def test_importing_grpo_plus_installs_them_before_trl_is_imported():
    code = ("import logging, sys; import grpo_plus; "
            "assert 'trl' not in sys.modules and 'bitsandbytes' not in sys.modules; "
            "print(sorted(n for n in grpo_plus.noise.KNOWN_NOISE if logging.getLogger(n).filters))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == str(sorted(noise.KNOWN_NOISE))
