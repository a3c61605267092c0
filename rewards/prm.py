"""``prm``: process reward models (Hugging Face checkpoints) as step rewards.

Two published styles are supported; both put a step-tag token after every step and read one score per tag:

- ``"token_classification"`` (Qwen2.5-Math-PRM): a token-classification head with two labels; the score of a step
  is the softmax probability of the positive label (``positive_label=1``) at its tag (default tag ``<extra_0>``).
  The conversation is rendered with the tokenizer's chat template: system prompt, the question as the user turn,
  and ``step_1<tag>step_2<tag>...`` as the assistant turn, as on the model card.
- ``"causal_lm"`` (Math-Shepherd): a causal LM; the score of a step is the softmax over the two label tokens
  (good ``+``, bad ``-``) of the logits at its tag (default ``ки``), i.e. ``p(good) / (p(good) + p(bad))``. The
  input is ``"{question} {step_1} ки\\n{step_2} ки..."`` as in the Math-Shepherd inference code. By default the label
  ids are ``tokenizer.encode(f"{good_token} {bad_token}")`` (two tokens), the reference recipe; integers are used as
  ids directly.

``style="auto"`` picks from the checkpoint's ``architectures``. The question comes from the ``prompts`` the trainer
passes (the last user message of a conversational prompt). Tag strings inside steps or the question are removed so
that every tag in the input is one we placed; tag positions are found from the tokenizer's character offsets, which
is exact even where a tag merges with a neighbouring character into one token.

The model loads on first call (so it lands on the trainer's device: ``accelerate.PartialState().device`` unless
``device`` is given), optionally in 4-bit (bitsandbytes NF4: every linear layer of the transformer, while the
classification head, ``score`` / ``classifier``, or the LM head stays in ``dtype``), and scores completions in batches
of ``batch_size`` (right padding). On a CPU with AVX512-BF16, bitsandbytes >= 0.49 runs the 4-bit layers of a model in
eval mode with a bfloat16 kernel after repacking their weights (fine for a reward model, which is never trained);
layers that kernel cannot take (``out_features`` not a multiple of 32, ``in_features`` not a multiple of the
quantisation block, which would raise) are kept on the generic kernel. A causal LM computes logits only at tag
positions (``logits_to_keep``). Steps cut off by ``max_length`` (default: the model's ``max_position_embeddings``)
get ``None``.
"""

from __future__ import annotations

import inspect
import logging
import threading
from collections.abc import Sequence
from typing import Any

from ._utils import RewardError, check_choice, check_step_inputs, prompt_text
from .registry import register_reward

logger = logging.getLogger(__name__)

STYLES = ("auto", "token_classification", "causal_lm")
# Head module names left unquantised in 4-bit (transformers' `llm_int8_skip_modules` patterns): `score` is the head of
# Qwen2/Llama/Mistral...ForTokenClassification and of Qwen2.5-Math-PRM's Qwen2ForProcessRewardModel (`score.0`,
# `score.2`), `classifier` that of BERT-style encoders. A causal LM PRM keeps transformers' default (the LM head).
TOKEN_CLASSIFICATION_HEADS = ("score", "classifier")
# bitsandbytes' AVX512-BF16 CPU layout packs rows in blocks of 32 (`_convert_weight_packed_for_cpu(block_n=32)`).
_CPU_PACK_ROWS = 32
QWEN_PRM_SYSTEM = "Please reason step by step, and put your final answer within \\boxed{}."
_DEFAULT = object()


def _keep_unpackable_layers_generic(model) -> list[str]:
    """Names of the 4-bit layers set to bitsandbytes' generic CPU kernel because its AVX512-BF16 one cannot take them.

    bitsandbytes' ``Linear4bit.forward`` repacks a weight for that kernel on the CPU in eval mode without gradient
    (where ``has_avx512bf16()``), which needs ``out_features % 32 == 0`` and ``in_features % blocksize == 0``; on any
    other shape it raises (``N must be divisible by block_n``) after altering the layer's quantisation state. Only the
    per-layer flag ``support_avx512bf16_for_cpu`` is changed; it is not read on CUDA.
    """
    import bitsandbytes as bnb

    kept = []
    for name, module in model.named_modules():
        if isinstance(module, bnb.nn.Linear4bit):
            blocksize = module.weight.quant_state.blocksize
            if module.out_features % _CPU_PACK_ROWS or module.in_features % blocksize:
                module.support_avx512bf16_for_cpu = False
                kept.append(name)
    if kept:
        logger.info("prm: %d 4-bit layer(s) of unsupported shape stay on the generic CPU kernel: %s", len(kept), kept)
    return kept


@register_reward("prm", level="step")
class ProcessRewardModel:
    """Process reward model (HF checkpoint, Qwen2.5-Math-PRM or Math-Shepherd style): a score in [0, 1] per step.

    Args:
        model: checkpoint id or local path.
        style: "auto", "token_classification" or "causal_lm".
        step_tag: tag string placed after each step (default ``<extra_0>`` / ``ки`` by style); must be in the vocabulary.
        good_token, bad_token: causal_lm label tokens (str) or token ids (int).
        positive_label: token_classification label index of a correct step.
        batch_size: completions per forward pass.
        device: torch device; default the trainer's (``accelerate.PartialState().device``).
        load_in_4bit: load with bitsandbytes NF4 quantisation (CUDA or CPU); the classification or LM head stays in
            ``dtype``.
        dtype: torch dtype name or "auto".
        max_length: token limit of one input (default the model's ``max_position_embeddings``).
        use_chat_template: render a conversation with the tokenizer's chat template (default: True for
            token_classification when the tokenizer has a template, False for causal_lm).
        system_prompt: system turn for the chat template (default: Qwen2.5-Math-PRM's for token_classification, none
            otherwise; ``None`` for no system turn).
        tokenizer: tokenizer id or path if it differs from ``model``.
        trust_remote_code: passed to ``from_pretrained``.
    """

    def __init__(
        self,
        model: str,
        style: str = "auto",
        step_tag: str | None = None,
        good_token: str | int = "+",
        bad_token: str | int = "-",
        positive_label: int = 1,
        batch_size: int = 8,
        device: str | None = None,
        load_in_4bit: bool = False,
        dtype: str = "auto",
        max_length: int | None = None,
        use_chat_template: bool | None = None,
        system_prompt: Any = _DEFAULT,
        tokenizer: str | None = None,
        trust_remote_code: bool = False,
    ):
        check_choice("prm", "style", style, STYLES)
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"reward 'prm': batch_size must be a positive int, got {batch_size!r}")
        self.model_name = str(model)
        self.style = style
        self.step_tag = step_tag
        self.good_token = good_token
        self.bad_token = bad_token
        self.positive_label = int(positive_label)
        self.batch_size = batch_size
        self.device = device
        self.load_in_4bit = bool(load_in_4bit)
        self.dtype = dtype
        self.max_length = max_length
        self.use_chat_template = use_chat_template
        self.system_prompt = system_prompt
        self.tokenizer_name = tokenizer or self.model_name
        self.trust_remote_code = trust_remote_code
        self.__name__ = "prm"
        self._model = None
        self._tokenizer = None
        self._label_ids: tuple[int, int] | None = None
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.update(_model=None, _tokenizer=None, _label_ids=None, _lock=None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def _resolve_style(self) -> str:
        if self.style != "auto":
            return self.style
        from transformers import AutoConfig

        config = AutoConfig.from_pretrained(self.model_name, trust_remote_code=self.trust_remote_code)
        architectures = list(getattr(config, "architectures", None) or [])
        if any("TokenClassification" in a or "ProcessRewardModel" in a for a in architectures):
            return "token_classification"
        if any("CausalLM" in a or "LMHeadModel" in a for a in architectures):
            return "causal_lm"
        raise ValueError(
            f"reward 'prm': cannot infer the style of {self.model_name} from architectures {architectures}; "
            f"pass style= one of {list(STYLES[1:])}"
        )

    def _resolve_token(self, token: str | int, field: str) -> int:
        if isinstance(token, int):
            return token
        vocab = self._tokenizer.get_vocab()
        if token in vocab:
            return vocab[token]
        ids = self._tokenizer.encode(token, add_special_tokens=False)
        if len(ids) != 1:
            raise ValueError(
                f"reward 'prm': {field}={token!r} is {len(ids)} tokens for the tokenizer of {self.model_name}; "
                "pass a single token or its id"
            )
        return ids[0]

    def _load(self) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoModelForTokenClassification, AutoTokenizer

        self.style = self._resolve_style()
        if self.step_tag is None:
            self.step_tag = "<extra_0>" if self.style == "token_classification" else "ки"
        tokenizer = AutoTokenizer.from_pretrained(self.tokenizer_name, trust_remote_code=self.trust_remote_code)
        if not tokenizer.is_fast:
            raise ValueError(f"reward 'prm': the tokenizer of {self.tokenizer_name} must be a fast tokenizer (offsets)")
        self._tokenizer = tokenizer
        self._resolve_token(self.step_tag, "step_tag")
        if self.use_chat_template is None:
            self.use_chat_template = self.style == "token_classification" and bool(tokenizer.chat_template)
        if self.system_prompt is _DEFAULT:
            self.system_prompt = QWEN_PRM_SYSTEM if self.style == "token_classification" else None
        if self.style == "causal_lm":
            if isinstance(self.good_token, int) and isinstance(self.bad_token, int):
                self._label_ids = (self.good_token, self.bad_token)
            else:
                pair = tokenizer.encode(f"{self.good_token} {self.bad_token}", add_special_tokens=False)
                if len(pair) == 2 and not isinstance(self.good_token, int) and not isinstance(self.bad_token, int):
                    self._label_ids = (pair[0], pair[1])
                else:
                    self._label_ids = (
                        self._resolve_token(self.good_token, "good_token"),
                        self._resolve_token(self.bad_token, "bad_token"),
                    )
        if self.device is None:
            from accelerate import PartialState

            self.device = str(PartialState().device)
        kwargs: dict[str, Any] = {"trust_remote_code": self.trust_remote_code}
        kwargs["dtype"] = self.dtype if self.dtype == "auto" else getattr(torch, str(self.dtype))
        if self.load_in_4bit:
            from transformers import BitsAndBytesConfig

            compute = torch.bfloat16 if kwargs["dtype"] == "auto" else kwargs["dtype"]
            # transformers' default skip list (tied weights, output embeddings, the last parameter's name) misses a
            # token-classification head, whose last parameter is `score.bias`, and a given list replaces the default:
            # name the head. A causal LM keeps the default, which holds its LM head
            skip = list(TOKEN_CLASSIFICATION_HEADS) if self.style == "token_classification" else None
            kwargs["quantization_config"] = BitsAndBytesConfig(
                load_in_4bit=True,
                bnb_4bit_quant_type="nf4",
                bnb_4bit_use_double_quant=True,
                bnb_4bit_compute_dtype=compute,
                llm_int8_skip_modules=skip,
            )
            kwargs["device_map"] = {"": self.device}
        auto = AutoModelForTokenClassification if self.style == "token_classification" else AutoModelForCausalLM
        try:
            model = auto.from_pretrained(self.model_name, **kwargs)
        except ValueError:
            if not self.trust_remote_code:
                raise
            from transformers import AutoModel

            model = AutoModel.from_pretrained(self.model_name, **kwargs)
        if not self.load_in_4bit:
            model = model.to(self.device)
        else:
            _keep_unpackable_layers_generic(model)
        model.eval()
        if self.max_length is None:
            self.max_length = getattr(model.config, "max_position_embeddings", None)
        self._model = model
        logger.info("prm: loaded %s (%s) on %s", self.model_name, self.style, self.device)

    def build_input(self, question: str, steps: Sequence[str]) -> tuple[str, list[int]]:
        """The model input for one completion and the character index of the last character of each step tag."""
        tag = self.step_tag
        question = question.replace(tag, "").strip()
        steps = [s.replace(tag, "").strip() for s in steps]
        if self.use_chat_template:
            body, ends = "", []
            for step in steps:
                body += step + tag
                ends.append(len(body) - 1)
            messages = [{"role": "user", "content": question}, {"role": "assistant", "content": body}]
            if self.system_prompt is not None:
                messages.insert(0, {"role": "system", "content": self.system_prompt})
            text = self._tokenizer.apply_chat_template(messages, tokenize=False)
            base = text.rfind(body)
            if base < 0:
                raise ValueError(f"reward 'prm': the chat template of {self.tokenizer_name} altered the steps")
            return text, [base + e for e in ends]
        text, ends = question, []
        for k, step in enumerate(steps):
            text += (" " if k == 0 else "\n") + step + " " + tag
            ends.append(len(text) - 1)
        return text, ends

    def encode(self, question: str, steps: Sequence[str]) -> tuple[list[int], list[int | None]]:
        """Token ids of one input and the token index of each step's tag (None past ``max_length``)."""
        text, ends = self.build_input(question, steps)
        enc = self._tokenizer(text, add_special_tokens=not self.use_chat_template, return_offsets_mapping=True)
        ids = list(enc["input_ids"])
        owner = [-1] * len(text)
        for j, (start, end) in enumerate(enc["offset_mapping"]):
            for c in range(start, min(end, len(text))):
                owner[c] = j
        positions: list[int | None] = []
        for end in ends:
            if owner[end] < 0:
                raise ValueError(f"reward 'prm': step tag at character {end} not found in the tokenized input")
            positions.append(owner[end])
        if self.max_length and len(ids) > self.max_length:
            ids = ids[: self.max_length]
            positions = [p if p is not None and p < self.max_length else None for p in positions]
        return ids, positions

    def _scores(self, batch: list[tuple[list[int], list[int | None]]]) -> list[list[float | None]]:
        import torch

        tokenizer = self._tokenizer
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else (tokenizer.eos_token_id or 0)
        width = max(len(ids) for ids, _ in batch)
        input_ids = torch.full((len(batch), width), pad, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for row, (ids, _) in enumerate(batch):
            input_ids[row, : len(ids)] = torch.tensor(ids, dtype=torch.long)
            mask[row, : len(ids)] = 1
        input_ids, mask = input_ids.to(self._model.device), mask.to(self._model.device)
        with torch.inference_mode():
            if self.style == "token_classification":
                out = self._model(input_ids=input_ids, attention_mask=mask)
                logits = out.logits if hasattr(out, "logits") else out[0]
                probs = torch.softmax(logits.float(), dim=-1)[..., self.positive_label]
                column = {p: p for _, pos in batch for p in pos if p is not None}
            else:
                keep = sorted({p for _, pos in batch for p in pos if p is not None})
                column = {p: k for k, p in enumerate(keep)}
                if not keep:
                    return [[None] * len(pos) for _, pos in batch]
                if "logits_to_keep" in inspect.signature(self._model.forward).parameters:
                    out = self._model(
                        input_ids=input_ids,
                        attention_mask=mask,
                        logits_to_keep=torch.tensor(keep, device=input_ids.device),
                        use_cache=False,
                    )
                else:
                    column = {p: p for p in keep}
                    out = self._model(input_ids=input_ids, attention_mask=mask, use_cache=False)
                logits = out.logits[..., list(self._label_ids)].float()
                probs = torch.softmax(logits, dim=-1)[..., 0]
        probs = probs.cpu()
        return [[None if p is None else float(probs[row, column[p]]) for p in pos] for row, (_, pos) in enumerate(batch)]

    def __call__(
        self,
        steps: Sequence[Sequence[str]] | None = None,
        completions: Any = None,
        prompts: Sequence[Any] | None = None,
        **kwargs: Any,
    ) -> list[list[float | None]]:
        name = self.__name__
        check_step_inputs(name, steps, completions)
        if prompts is not None and len(prompts) != len(steps):
            raise RewardError(name, f"got {len(prompts)} prompts for {len(steps)} step lists")
        with self._lock:
            if self._model is None:
                self._load()
        encoded = []
        for i, completion_steps in enumerate(steps):
            if isinstance(completion_steps, str) or not all(isinstance(s, str) for s in completion_steps):
                raise RewardError(name, "steps[i] must be a list of strings", i)
            question = prompt_text(prompts[i], name, i) if prompts is not None else ""
            try:
                encoded.append(self.encode(question, completion_steps))
            except ValueError as err:
                raise RewardError(name, str(err), i) from err
        truncated = [i for i, (_, pos) in enumerate(encoded) if any(p is None for p in pos)]
        if truncated:
            logger.warning(
                "%s: samples %s exceed max_length=%s tokens; their last steps are not scored (None)",
                name,
                truncated,
                self.max_length,
            )
        out: list[list[float | None]] = []
        for start in range(0, len(encoded), self.batch_size):
            chunk = encoded[start : start + self.batch_size]
            scoreable = [k for k, (ids, pos) in enumerate(chunk) if pos and ids]
            scores = self._scores([chunk[k] for k in scoreable]) if scoreable else []
            by_index = dict(zip(scoreable, scores))
            out.extend(by_index.get(k, [None] * len(chunk[k][1])) for k in range(len(chunk)))
        return out
