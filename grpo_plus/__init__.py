"""grpo_plus: GRPO extensions for Hugging Face TRL.

Selectable KL estimators (k1, k2, k3, k1+, k3+) in the loss or in the reward, reward scaling group/batch/none,
outcome or process (step-level) rewards, and a registry of verifiable rewards (the ``rewards`` package).

``GRPOPlusConfig`` and ``GRPOPlusTrainer`` are imported on first use, so that ``grpo_plus.kl``,
``grpo_plus.advantages``, ``grpo_plus.steps`` and ``grpo-plus rewards list`` do not pay for importing TRL.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from grpo_plus.noise import drop_known_noise

__all__ = ["GRPOPlusConfig", "GRPOPlusTrainer"]
__version__ = "0.1.0"

drop_known_noise()  # before anything imports TRL (and with it peft and bitsandbytes)

_LAZY = {"GRPOPlusConfig": "grpo_plus.config", "GRPOPlusTrainer": "grpo_plus.trainer"}

if TYPE_CHECKING:
    from grpo_plus.config import GRPOPlusConfig
    from grpo_plus.trainer import GRPOPlusTrainer


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'grpo_plus' has no attribute {name!r}")
