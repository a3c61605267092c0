"""Settings of a fast, deterministic GRPO run on the CPU: 2 prompts x 4 generations, 8 new tokens, 2 steps, float32
(TRL defaults to bf16, which the CPU emulates at about twice the cost), β = 0.04 so the reference path runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

TINY_RUN: dict[str, Any] = dict(
    per_device_train_batch_size=8,
    num_generations=4,
    max_completion_length=8,
    max_steps=2,
    learning_rate=1e-3,
    logging_steps=1,
    save_strategy="no",
    report_to="none",
    use_cpu=True,
    bf16=False,
    seed=0,
    beta=0.04,
    disable_tqdm=True,
    dataloader_num_workers=0,
)


def tiny_run(output_dir: str | Path, **overrides: Any) -> dict[str, Any]:
    """Keyword arguments for ``GRPOPlusConfig``: :data:`TINY_RUN` writing to ``output_dir``, with ``overrides``."""
    return {"output_dir": str(output_dir), **TINY_RUN, **overrides}
