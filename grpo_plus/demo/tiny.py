"""Tiny offline causal LMs and tokenizers, built in seconds with no network.

Used by the embedded demo and by the test suite. Two tokenizer styles are provided:

- :func:`build_bpe_tokenizer`: byte-level BPE (GPT-2 / Qwen style), every byte reachable;
- :func:`build_sentencepiece_tokenizer`: SentencePiece-style BPE (Llama style) with the ``▁`` metaspace and
  ``<0xNN>`` byte fallback, so characters outside the vocabulary split into byte tokens.

Both carry a ChatML chat template (``<|im_start|>role ... <|im_end|>``) and ``<|endoftext|>`` as pad token.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from pathlib import Path

logger = logging.getLogger(__name__)

CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]

_DEFAULT_CORPUS = [
    "What is 12 + 7? Let me think step by step.\n\n12 + 7 = 19\n\nThe answer is 19.",
    "<think>3 * 4 = 12</think><answer>12</answer>",
    "<think>\n48 / 2 = 24\n\n24 - 5 = 19\n</think>\n<answer>\\boxed{19}</answer>",
    "The quick brown fox jumps over the lazy dog. Natalia sold clips to 48 of her friends in April.",
    "Solve the problem and put the final answer in \\boxed{}. <<48/2=24>> 0 1 2 3 4 5 6 7 8 9",
    "Ünïcødé: 你好世界, 数学 答案 🙂🚀 — ½ ≤ ∞",
]


def _corpus(extra: Iterable[str] | None) -> list[str]:
    texts = list(_DEFAULT_CORPUS)
    if extra is not None:
        texts.extend(extra)
    return texts * 4


def _wrap(tokenizer_object, **kwargs):
    from transformers import PreTrainedTokenizerFast

    tok = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer_object,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        bos_token=None,
        unk_token=kwargs.pop("unk_token", None),
        **kwargs,
    )
    tok.chat_template = CHAT_TEMPLATE
    return tok


def build_bpe_tokenizer(
    corpus: Iterable[str] | None = None,
    vocab_size: int = 400,
    *,
    split_digits: bool = False,
    extra_tokens: Iterable[str] = (),
):
    """A byte-level BPE tokenizer trained on a small built-in corpus (plus ``corpus``).

    Every byte is in the base alphabet, so any text round-trips exactly. ``split_digits=True`` makes every digit
    its own token (as Qwen2 and Llama do), which helps a tiny model learn arithmetic; ``extra_tokens`` are added as
    single, non-special tokens (kept in decoded text), e.g. ``<think>``.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE())
    byte_level = pre_tokenizers.ByteLevel(add_prefix_space=False)
    if split_digits:
        tokenizer.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True), byte_level])
    else:
        tokenizer.pre_tokenizer = byte_level
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(_corpus(corpus), trainer=trainer)
    extra_tokens = list(extra_tokens)
    if extra_tokens:
        tokenizer.add_tokens(extra_tokens)
    return _wrap(tokenizer)


def build_sentencepiece_tokenizer(corpus: Iterable[str] | None = None, vocab_size: int = 300):
    """A SentencePiece-style (Llama) BPE tokenizer: ``▁`` metaspace, ``<0xNN>`` byte fallback.

    Characters the BPE vocabulary lacks (most CJK characters and emoji here) are encoded as their UTF-8 bytes,
    one token per byte, exactly as Llama / Mistral tokenizers do.
    """
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

    probe = Tokenizer(models.BPE(unk_token="<unk>"))
    probe.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    probe.pre_tokenizer = pre_tokenizers.Split("▁", behavior="merged_with_next")
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=["<unk>", *SPECIAL_TOKENS],
        show_progress=False,
        limit_alphabet=60,
    )
    probe.train_from_iterator(_corpus(corpus), trainer=trainer)
    vocab = dict(probe.get_vocab())
    for byte in range(256):
        vocab.setdefault(f"<0x{byte:02X}>", len(vocab))
    merges = [tuple(m.split(" ", 1)) if isinstance(m, str) else tuple(m) for m in json.loads(probe.to_str())["model"]["merges"]]
    tokenizer = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    tokenizer.add_special_tokens(["<unk>", *SPECIAL_TOKENS])
    tokenizer.normalizer = probe.normalizer
    tokenizer.pre_tokenizer = probe.pre_tokenizer
    tokenizer.decoder = decoders.Sequence(
        [decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(), decoders.Strip(" ", 1, 0)]
    )
    return _wrap(tokenizer, unk_token="<unk>")


def build_tiny_model(
    tokenizer,
    hidden_size: int = 64,
    num_layers: int = 2,
    num_heads: int = 4,
    intermediate_size: int = 128,
    seed: int = 0,
):
    """A randomly initialised Qwen2 causal LM sized for ``tokenizer`` (about 70k parameters by default)."""
    import torch
    from transformers import GenerationConfig, Qwen2Config, Qwen2ForCausalLM

    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=intermediate_size,
        num_hidden_layers=num_layers,
        num_attention_heads=num_heads,
        num_key_value_heads=max(1, num_heads // 2),
        max_position_embeddings=512,
        tie_word_embeddings=True,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=None,
    )
    torch.manual_seed(seed)
    model = Qwen2ForCausalLM(config)
    model.generation_config = GenerationConfig(
        eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id, do_sample=True
    )
    return model


def save_tiny_model(path: str | os.PathLike, tokenizer=None, **model_kwargs) -> str:
    """Build a tiny model (and a byte-level BPE tokenizer unless given) and save both to ``path``."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    tokenizer = tokenizer if tokenizer is not None else build_bpe_tokenizer()
    model = build_tiny_model(tokenizer, **model_kwargs)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    logger.info("saved a tiny %s-parameter model to %s", f"{model.num_parameters():,}", path)
    return str(path)
