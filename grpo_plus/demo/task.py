"""What a demo task is (:class:`DemoTask`) and the one-step demo's training arguments, which every task starts from.

Kept apart from :mod:`grpo_plus.demo.run` so that the task modules (:mod:`~grpo_plus.demo.multistep_run`,
:mod:`~grpo_plus.demo.chains_run`) and the runner import it without importing each other.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from grpo_plus.demo.warmstart import WarmStartConfig

REWARDS = ("accuracy", "format")
ACCURACY_KEY = "rewards/accuracy/mean"
FORMAT_KEY = "rewards/format/mean"
SUMMARY_FILENAME = "demo_summary.json"
DEFAULT_OUTPUT_DIR = "grpo-plus-demo"

DEFAULT_ARGS: dict[str, Any] = dict(
    max_steps=200,
    learning_rate=1e-4,
    lr_scheduler_type="constant",
    per_device_train_batch_size=64,
    num_generations=8,
    max_completion_length=16,
    temperature=1.0,
    beta=0.0,
    logging_steps=1,
    save_strategy="no",
    report_to="none",
    use_cpu=True,
    bf16=False,
    activation_checkpointing=False,
    dataloader_num_workers=0,
    disable_tqdm=False,
    seed=0,
)

@dataclass(frozen=True)
class DemoTask:
    """What a demo trains on and how it is judged.

    ``dataset(num_prompts, seed, warm_start)`` builds the training prompts; ``rewards`` are fixed registry names, or
    None to train on the config's ``reward_funcs``; ``evaluation(warm_start, args)``, if given, returns the held-out
    evaluation callback whose ``summary()`` joins the run's summary.
    """

    name: str
    default_args: Mapping[str, Any]
    warm_start: WarmStartConfig
    dataset: Callable[[int, int, WarmStartConfig], Any]
    rewards: tuple[str, ...] | None = REWARDS
    evaluation: Callable[[WarmStartConfig, Any], Any] | None = None
    output_dir: str = DEFAULT_OUTPUT_DIR
