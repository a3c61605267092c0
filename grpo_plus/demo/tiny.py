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


# Tool calling ------------------------------------------------------------------------------------------------------
# TRL's tool and environment path (GRPOTrainer(tools=..., environment_factory=...)) needs a chat template that renders
# tool calls (trl.chat_template_utils.supports_tool_calling) and a response parser, which trl's add_response_schema
# attaches only to chat templates it knows, compared by identity of the text. So the tool tokenizer carries TRL's own
# copy of a Qwen template, read from the installed trl package at run time, and Qwen's tool tags as tokens.
TOOL_TEMPLATES = ("qwen2_5", "qwen3")
# Qwen's tool and reasoning tags: added as single, non-special tokens (decoded text keeps them), as Qwen does.
TOOL_TOKENS = ["<tool_call>", "</tool_call>", "<tool_response>", "</tool_response>", "<think>", "</think>"]
_TOOL_MODEL_MAX_POSITIONS = 2048


def trl_chat_template(name: str = "qwen2_5") -> str:
    """The text of the chat template ``name`` as shipped by the installed trl package (``trl/chat_templates``)."""
    import trl

    if name not in TOOL_TEMPLATES:
        raise ValueError(f"unknown tool chat template {name!r}; valid choices: {', '.join(TOOL_TEMPLATES)}")
    return (Path(trl.__file__).parent / "chat_templates" / f"{name}.jinja").read_text(encoding="utf-8")


def _sample_tool(a: int, b: int) -> int:
    """
    Adds two integers.

    Args:
        a: The first integer.
        b: The second integer.

    Returns:
        The sum of the two integers.
    """
    return a + b


def _tool_conversation_texts(template: str) -> list[str]:
    """Renderings of a tool-calling conversation by ``template``, so the BPE learns the template's fixed text."""
    probe = build_bpe_tokenizer(vocab_size=300, extra_tokens=TOOL_TOKENS)
    probe.chat_template = template
    call = {"type": "function", "function": {"name": "_sample_tool", "arguments": {"a": 3, "b": 4}}}
    messages = [
        {"role": "user", "content": "What is 3 + 4? Use the tool."},
        {"role": "assistant", "content": "", "tool_calls": [call]},
        {"role": "tool", "name": "_sample_tool", "content": "7"},
        {"role": "assistant", "content": "The answer is 7."},
    ]
    rendered = probe.apply_chat_template(messages, tools=[_sample_tool], tokenize=False)
    plain = probe.apply_chat_template(messages[:1], tokenize=False, add_generation_prompt=True)
    return [rendered, plain]


def build_tool_tokenizer(template: str = "qwen2_5", corpus: Iterable[str] | None = None, vocab_size: int = 700):
    """A byte-level BPE tokenizer that TRL accepts for ``tools=`` and ``environment_factory=``.

    Its chat template is TRL's copy of the Qwen2.5 (``"qwen2_5"``) or Qwen3 (``"qwen3"``) template, read from the
    installed trl package (:func:`trl_chat_template`), so trl's ``add_response_schema`` recognises it and parses
    ``<tool_call>{json}</tool_call>`` blocks of generated text into tool calls. ``<|im_start|>``, ``<|im_end|>`` and
    ``<|endoftext|>`` are special tokens (EOS ``<|im_end|>``, pad ``<|endoftext|>``); Qwen's tool and reasoning tags
    (:data:`TOOL_TOKENS`) are single non-special tokens. The BPE is trained on the built-in corpus, ``corpus`` and
    renderings of a tool conversation by the template, so a prompt with a tool schema stays a few hundred tokens.
    """
    chat_template = trl_chat_template(template)
    texts = _tool_conversation_texts(chat_template) + list(corpus or ())
    tokenizer = build_bpe_tokenizer(texts, vocab_size=vocab_size, split_digits=True, extra_tokens=TOOL_TOKENS)
    tokenizer.chat_template = chat_template
    return tokenizer


def save_tiny_tool_model(path: str | os.PathLike, template: str = "qwen2_5", tokenizer=None, **model_kwargs) -> str:
    """Save a tiny Qwen2 model with a tool-calling tokenizer (:func:`build_tool_tokenizer`) to ``path``.

    The model accepts up to 2048 positions: TRL drops a tool result that would make the sequence reach
    ``max_position_embeddings``, and a prompt rendered with tool schemas is longer than a plain one.
    """
    tokenizer = tokenizer if tokenizer is not None else build_tool_tokenizer(template)
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    model = build_tiny_model(tokenizer, **model_kwargs)
    model.config.max_position_embeddings = _TOOL_MODEL_MAX_POSITIONS
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    logger.info("saved a tiny tool-calling %s-parameter model to %s", f"{model.num_parameters():,}", path)
    return str(path)
