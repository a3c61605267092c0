"""Offline scaffolding behind the examples' ``--tiny`` flag; not part of what the examples show.

:func:`tiny_defaults` builds a tiny random Qwen2 model and a small arithmetic dataset in a folder (about a second, no
network) and returns settings that run a few GRPO steps on a CPU. The examples hand them to TrlParser as defaults, so
a ``--config`` file and command-line flags still override them.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from grpo_plus.demo.tiny import save_tiny_model


def pop_flag(argv: list[str], flag: str) -> bool:
    """Remove ``flag`` from ``argv``; return whether it was there."""
    present = flag in argv
    while flag in argv:
        argv.remove(flag)
    return present


def pop_option(argv: list[str], option: str) -> str | None:
    """Remove ``option VALUE`` or ``option=VALUE`` from ``argv`` and return VALUE (None when absent)."""
    for i, token in enumerate(argv):
        if token.startswith(option + "="):
            del argv[i]
            return token.split("=", 1)[1]
        if token == option:
            if i + 1 >= len(argv):
                raise SystemExit(f"{option} needs a value")
            value = argv[i + 1]
            del argv[i : i + 2]
            return value
    return None


def tiny_defaults(workdir: str | Path | None = None, steps: bool = False) -> dict:
    """Build the tiny model and dataset in ``workdir`` (a new temporary folder by default); return config defaults.

    ``steps=True`` asks for answers written as equations, one per paragraph (for process-reward runs).
    """
    workdir = Path(workdir or tempfile.mkdtemp(prefix="grpo-plus-tiny-"))
    model_dir = save_tiny_model(workdir / "model")
    instruction = "Write each calculation as an equation in its own paragraph." if steps else "Answer with a number."
    rows = [
        {"question": f"What is {a} + {b}? {instruction}", "answer": str(a + b)}
        for a in range(1, 7)
        for b in range(1, 7)
    ]
    data_file = workdir / "arithmetic.jsonl"
    data_file.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return {
        "model_name_or_path": model_dir,
        "dataset_name": str(data_file),
        "prompt_column": "question",
        "solution_column": "answer",
        "output_dir": str(workdir / "out"),
        "reward_funcs": ["accuracy", "format"],
        "max_steps": 2,
        "per_device_train_batch_size": 4,
        "num_generations": 4,
        "max_completion_length": 12,
        "learning_rate": 1e-3,
        "beta": 0.04,
        "logging_steps": 1,
        "save_strategy": "no",
        "report_to": "none",
        "use_cpu": True,
        "bf16": False,
        "activation_checkpointing": False,
        "disable_tqdm": True,
        "seed": 0,
    }
