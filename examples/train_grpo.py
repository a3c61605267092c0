"""GRPO with grpo_plus from your own script, launched with accelerate.

    accelerate launch examples/train_grpo.py --config configs/qlora_single_gpu.yaml
    accelerate launch --config_file configs/accelerate/multi_gpu.yaml examples/train_grpo.py \
        --config configs/multi_gpu_full.yaml --max_steps 200
    python examples/train_grpo.py --tiny          # offline smoke run: tiny random model, a few CPU steps

The YAML holds GRPOPlusConfig, TRL ModelConfig and DatasetArguments fields; command-line flags override it (TRL's
TrlParser, as in `trl grpo`). This is what `grpo-plus train` does, written out: copy it and change what you need.
"""

from __future__ import annotations

import logging
import sys

from transformers import AutoTokenizer
from trl import ModelConfig, TrlParser, get_peft_config, get_quantization_config

from grpo_plus import GRPOPlusConfig, GRPOPlusTrainer
from grpo_plus.data import DatasetArguments, load_prompt_dataset
from grpo_plus.plotting import PlotMetricsCallback

logger = logging.getLogger("train_grpo")


def main(argv: list[str] | None = None, defaults: dict | None = None) -> GRPOPlusTrainer:
    """Parse ``argv`` (default ``sys.argv[1:]``) on top of ``defaults``, train, save; return the trainer."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = TrlParser((GRPOPlusConfig, ModelConfig, DatasetArguments))
    if "--tiny" in argv:
        from _tiny import pop_flag, tiny_defaults

        pop_flag(argv, "--tiny")
        parser.set_defaults_with_config(**tiny_defaults(steps=(defaults or {}).get("reward_mode") == "process"))
    if defaults:
        parser.set_defaults_with_config(**defaults)
    training_args, model_args, data_args = parser.parse_args_and_config(argv)

    # Prompts: the tokenizer decides chat vs. text prompts (prompt_format: auto).
    tokenizer = AutoTokenizer.from_pretrained(model_args.model_name_or_path, revision=model_args.model_revision)
    train_dataset = load_prompt_dataset(data_args, tokenizer)

    # The model is loaded by the trainer from its id, with TRL's quantization (load_in_4bit) and LoRA (use_peft)
    # configs: that is the QLoRA path. Rewards come from training_args.reward_funcs / reward_kwargs.
    training_args.model_init_kwargs = {
        "revision": model_args.model_revision,
        "attn_implementation": model_args.attn_implementation,
        "dtype": model_args.dtype,
        **(training_args.model_init_kwargs or {}),
    }
    trainer = GRPOPlusTrainer(
        model=model_args.model_name_or_path,
        args=training_args,
        train_dataset=train_dataset,
        callbacks=[PlotMetricsCallback()],  # training curves in output_dir/grpo_metrics/
        quantization_config=get_quantization_config(model_args),
        peft_config=get_peft_config(model_args),
    )
    trainer.train(resume_from_checkpoint=training_args.resume_from_checkpoint)
    trainer.save_model(training_args.output_dir)
    if trainer.accelerator.is_main_process:
        rewards = [e["reward"] for e in trainer.state.log_history if "reward" in e]
        logger.info(
            "done: %d steps, reward %.3f -> %.3f; model and curves in %s",
            trainer.state.global_step,
            rewards[0] if rewards else float("nan"),
            rewards[-1] if rewards else float("nan"),
            training_args.output_dir,
        )
    trainer.end()  # finish the trackers, destroy the process group
    return trainer


if __name__ == "__main__":
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s", level=logging.WARNING)
    for name in ("train_grpo", "grpo_plus", "rewards"):
        logging.getLogger(name).setLevel(logging.INFO)
    main()
