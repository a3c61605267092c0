"""Process rewards: score every reasoning step, not only the final answer (DeepSeekMath §4.1.3).

    python examples/process_reward.py --tiny                                      # offline smoke run (CPU)
    accelerate launch examples/process_reward.py --config configs/process_reward.yaml
    accelerate launch examples/process_reward.py --config configs/process_reward.yaml \
        --prm_model Qwen/Qwen2.5-Math-PRM-7B                                      # add a process reward model

With reward_mode="process" the trainer splits each completion at step_separator ("\\n\\n"), and the step rewards
score each step: `arithmetic_steps` checks the equations a step states (rule-based, no model), `prm` asks a process
reward model checkpoint (--prm_model: a hub id or a local folder; --prm_step_tag: its step tag if not the default).
A token's advantage is the sum (process_credit "sum", the default; DeepSeekMath §4.1.3) or the minimum ("min") of the
normalised rewards of the steps ending at or after it; `accuracy`, an outcome reward, adds its own outcome advantage
to every token. The logs gain steps/* and advantages/* curves.
"""

from __future__ import annotations

import logging
import sys

if __name__ == "__main__":
    from _tiny import pop_option
    from train_grpo import main

    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s", level=logging.WARNING)
    for name in ("train_grpo", "grpo_plus", "rewards"):
        logging.getLogger(name).setLevel(logging.INFO)
    argv = sys.argv[1:]
    prm_model = pop_option(argv, "--prm_model")
    prm_step_tag = pop_option(argv, "--prm_step_tag")
    defaults = {"reward_mode": "process", "reward_funcs": ["arithmetic_steps", "accuracy"], "step_separator": "\n\n"}
    if prm_model is not None:
        prm_kwargs = {"model": prm_model} if prm_step_tag is None else {"model": prm_model, "step_tag": prm_step_tag}
        argv += ["--reward_funcs", "arithmetic_steps", "prm", "accuracy"]  # flags beat the YAML's reward_funcs
        defaults["reward_kwargs"] = {"prm": prm_kwargs}
    main(argv, defaults=defaults)
