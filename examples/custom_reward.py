"""Register your own reward with a decorator and train with it by name.

    python examples/custom_reward.py --tiny                                   # offline smoke run (CPU)
    accelerate launch examples/custom_reward.py --config configs/qlora_single_gpu.yaml

Once this module is imported, "concise" is a registry name like the built-ins: in GRPOPlusConfig(reward_funcs=...),
in a YAML config, with keyword arguments from reward_kwargs. Two ways to reach it without this script:

- the CLI, by import path: `grpo-plus train --config ... --reward_funcs accuracy custom_reward:concise`
  (the module must be importable, e.g. run from examples/ or installed);
- an entry point in your package's pyproject.toml, found by name by every grpo_plus run:

      [project.entry-points."grpo_plus.rewards"]
      concise = "my_package.rewards:concise"
"""

from __future__ import annotations

import logging

import rewards


@rewards.register_reward("concise", level="outcome")
def concise(completions, max_chars: int = 200, **kwargs) -> list[float]:
    """1.0 up to max_chars characters, falling linearly to 0.0 at twice that length."""
    scores = []
    for completion in completions:
        text = completion[-1]["content"] if isinstance(completion, list) else completion  # chat or text prompts
        overflow = max(0, len(text) - max_chars)
        scores.append(max(0.0, 1.0 - overflow / max_chars))
    return scores


if __name__ == "__main__":
    from train_grpo import main

    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s", level=logging.WARNING)
    for name in ("train_grpo", "grpo_plus", "rewards"):
        logging.getLogger(name).setLevel(logging.INFO)
    main(defaults={"reward_funcs": ["accuracy", "concise"], "reward_kwargs": {"concise": {"max_chars": 20}}})
