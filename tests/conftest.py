"""Offline test kit: tiny Qwen2 models and tokenizers built in seconds, no network anywhere.

Fixtures:
- ``bpe_tokenizer`` / ``sp_tokenizer``: byte-level BPE (Qwen/GPT-2 style) and SentencePiece-style (Llama style,
  byte fallback) tokenizers with a ChatML template.
- ``tiny_model_dir``: a saved 2-layer Qwen2 model + byte-level tokenizer, passed to trainers by path (TRL reloads
  the reference model from the path when beta > 0 and no PEFT is used).
- ``tiny_dataset``: a small arithmetic prompt/solution dataset (plain-text prompts).
- ``trainer_args``: keyword arguments for a fast CPU GRPOPlusConfig / GRPOConfig.
- ``tool_model_dir``: a saved tiny Qwen2 model whose tokenizer TRL accepts for ``tools=`` / ``environment_factory=``
  (TRL's Qwen2.5 chat template read from the installed trl, ``<tool_call>`` tokens; see
  grpo_plus.demo.tiny.build_tool_tokenizer).
"""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("WANDB_DISABLED", "true")
os.environ.setdefault("ACCELERATE_USE_CPU", "true")

import pytest  # noqa: E402

from grpo_plus.demo.tiny import (  # noqa: E402
    build_bpe_tokenizer,
    build_sentencepiece_tokenizer,
    save_tiny_model,
    save_tiny_tool_model,
)
from tests.tiny_run import tiny_run  # noqa: E402


@pytest.fixture(scope="session")
def bpe_tokenizer():
    return build_bpe_tokenizer()


@pytest.fixture(scope="session")
def sp_tokenizer():
    return build_sentencepiece_tokenizer()


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory, bpe_tokenizer):
    return save_tiny_model(tmp_path_factory.mktemp("tiny-qwen2"), tokenizer=bpe_tokenizer)


@pytest.fixture(scope="session")
def tool_model_dir(tmp_path_factory):
    return save_tiny_tool_model(tmp_path_factory.mktemp("tiny-qwen2-tools"))


@pytest.fixture(scope="session")
def tiny_dataset():
    from datasets import Dataset

    rows = [{"prompt": f"What is {a} + {b}? ", "solution": str(a + b)} for a in range(1, 5) for b in range(1, 5)]
    return Dataset.from_list(rows)


@pytest.fixture
def trainer_args(tmp_path):
    """Keyword arguments for a fast, deterministic CPU run (:data:`tests.tiny_run.TINY_RUN`)."""
    return tiny_run(tmp_path / "out")
