"""grpo_plus: GRPO extensions for Hugging Face TRL.

Selectable KL estimators (k1, k2, k3, k1+, k3+) in the loss or in the reward, reward scaling group/batch/none,
outcome or process (step-level) rewards, and a registry of verifiable rewards (the ``rewards`` package).
"""

from grpo_plus.config import GRPOPlusConfig
from grpo_plus.trainer import GRPOPlusTrainer

__all__ = ["GRPOPlusConfig", "GRPOPlusTrainer"]
__version__ = "0.1.0"
