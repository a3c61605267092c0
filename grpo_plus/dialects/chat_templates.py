"""Chat templates by LLaMA-Factory name (``template: qwen``), for GRPO prompts.

A prompt is rendered by the tokenizer's own chat template when it has one (TRL then applies it to the conversation),
else by the built-in template of that name below, which reproduces LLaMA-Factory's slots for that template
(``src/llamafactory/data/template.py``): the text of the prefix, the system turn, each user and assistant turn, in
LLaMA-Factory's order (turn 0: prefix + system + user; Llama-2-style templates fuse the system text into the first
user message). The user slot ends with the assistant header, so a rendered prompt ends where the completion starts.

Both paths also take over LLaMA-Factory's stop word for the templates that replace the EOS token (``qwen``,
``chatml``, ``llama3``, ``gemma``, ``phi``): the tokenizer's ``eos_token`` becomes the template's first stop word, so
that generation ends at ``<|im_end|>`` / ``<|eot_id|>`` even for a base model whose EOS is ``<|endoftext|>``.

``prompt_format`` chooses the path: ``auto`` (the tokenizer's template when it has one, else the built-in), ``chat``
(the tokenizer's, which must exist), ``text`` (always the built-in, as LLaMA-Factory itself does).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from rewards._names import did_you_mean

logger = logging.getLogger(__name__)

BOS = "{bos}"
EOS = "{eos}"
CONTENT = "{content}"


@dataclass(frozen=True)
class ChatTemplate:
    """One template as LLaMA-Factory defines it. Slots hold ``{content}``, and ``{bos}`` / ``{eos}`` for the
    tokenizer's BOS / EOS tokens.

    Attributes:
        name: LLaMA-Factory's name of the template.
        user: slot of a user turn (ends with the assistant header: the generation prompt).
        assistant: slot of an assistant turn (history turns of a prompt).
        system: slot of the system text.
        prefix: slot put before the first turn (``{bos}`` for Llama-style templates).
        default_system: system text used when the sample and ``default_system`` give none.
        stop_words: LLaMA-Factory's stop words; with ``replace_eos`` the first one becomes the EOS token.
        replace_eos: make the first stop word the tokenizer's EOS token.
        fuse_system: put the system text at the start of the first user message (Llama-2 style).
        marker: a string every chat template of this family contains (used to warn when the tokenizer's own chat
            template belongs to another family).
    """

    name: str
    user: str
    assistant: str = CONTENT + EOS
    system: str = CONTENT
    prefix: str = ""
    default_system: str = ""
    stop_words: tuple[str, ...] = ()
    replace_eos: bool = False
    fuse_system: bool = False
    marker: str | None = None


_CHATML_USER = "<|im_start|>user\n{content}<|im_end|>\n<|im_start|>assistant\n"
_CHATML_ASSISTANT = "{content}<|im_end|>\n"
_CHATML_SYSTEM = "<|im_start|>system\n{content}<|im_end|>\n"
_LLAMA3_HEADER = "<|start_header_id|>{role}<|end_header_id|>\n\n"

BUILTIN_TEMPLATES: dict[str, ChatTemplate] = {
    t.name: t
    for t in (
        ChatTemplate("empty", user=CONTENT, assistant=CONTENT),
        ChatTemplate(
            "default",
            user="Human: {content}{eos}\nAssistant:",
            assistant="{content}{eos}\n",
            system="System: {content}{eos}\n",
            marker="Human: ",
        ),
        ChatTemplate(
            "alpaca",
            user="### Instruction:\n{content}\n\n### Response:\n",
            assistant="{content}{eos}\n\n",
            default_system="Below is an instruction that describes a task. Write a response that appropriately "
            "completes the request.\n\n",
            marker="### Instruction:",
        ),
        ChatTemplate(
            "vicuna",
            user="USER: {content} ASSISTANT:",
            default_system="A chat between a curious user and an artificial intelligence assistant. The assistant "
            "gives helpful, detailed, and polite answers to the user's questions.",
            marker="USER: ",
        ),
        ChatTemplate(
            "chatml",
            user=_CHATML_USER,
            assistant=_CHATML_ASSISTANT,
            system=_CHATML_SYSTEM,
            stop_words=("<|im_end|>", "<|im_start|>"),
            replace_eos=True,
            marker="<|im_start|>",
        ),
        ChatTemplate(
            "qwen",
            user=_CHATML_USER,
            assistant=_CHATML_ASSISTANT,
            system=_CHATML_SYSTEM,
            default_system="You are Qwen, created by Alibaba Cloud. You are a helpful assistant.",
            stop_words=("<|im_end|>",),
            replace_eos=True,
            marker="<|im_start|>",
        ),
        ChatTemplate(
            "yi",
            user=_CHATML_USER,
            assistant=_CHATML_ASSISTANT,
            system=_CHATML_SYSTEM,
            stop_words=("<|im_end|>",),
            marker="<|im_start|>",
        ),
        ChatTemplate(
            "llama3",
            user=_LLAMA3_HEADER.format(role="user") + "{content}<|eot_id|>" + _LLAMA3_HEADER.format(role="assistant"),
            assistant="{content}<|eot_id|>",
            system=_LLAMA3_HEADER.format(role="system") + "{content}<|eot_id|>",
            prefix=BOS,
            stop_words=("<|eot_id|>", "<|eom_id|>"),
            replace_eos=True,
            marker="<|start_header_id|>",
        ),
        ChatTemplate(
            "llama2",
            user="{bos}[INST] {content} [/INST]",
            system="<<SYS>>\n{content}\n<</SYS>>\n\n",
            fuse_system=True,
            marker="[INST]",
        ),
        ChatTemplate(
            "mistral",
            user="[INST] {content}[/INST]",
            assistant=" {content}{eos}",
            system="{content}\n\n",
            prefix=BOS,
            fuse_system=True,
            marker="[INST]",
        ),
        ChatTemplate(
            "gemma",
            user="<start_of_turn>user\n{content}<end_of_turn>\n<start_of_turn>model\n",
            assistant="{content}<end_of_turn>\n",
            system="{content}\n\n",
            prefix=BOS,
            stop_words=("<end_of_turn>",),
            replace_eos=True,
            fuse_system=True,
            marker="<start_of_turn>",
        ),
        ChatTemplate(
            "phi",
            user="<|user|>\n{content}<|end|>\n<|assistant|>\n",
            assistant="{content}<|end|>\n",
            system="<|system|>\n{content}<|end|>\n",
            stop_words=("<|end|>",),
            replace_eos=True,
            marker="<|user|>",
        ),
        ChatTemplate(
            "deepseek",
            user="User: {content}\n\nAssistant:",
            system="{content}\n\n",
            prefix=BOS,
            marker="User: ",
        ),
        ChatTemplate("deepseek3", user="<｜User｜>{content}<｜Assistant｜>", prefix=BOS, marker="<｜User｜>"),
    )
}

# LLaMA-Factory template names accepted when the tokenizer brings its own chat template (no built-in rendering here).
TOKENIZER_ONLY_TEMPLATES = (
    "qwen3",
    "qwen3_nothink",
    "qwen2_vl",
    "qwen2_5_vl",
    "llama4",
    "gemma2",
    "gemma3",
    "glm4",
    "deepseekr1",
    "mistral_small",
    "phi4",
    "cohere",
    "intern2",
    "baichuan2",
    "minicpm_v",
)

TEMPLATE_NAMES = (*BUILTIN_TEMPLATES, *TOKENIZER_ONLY_TEMPLATES)


def check_template_name(name: str) -> None:
    """Raise ValueError naming ``name``, the closest known template and the built-in ones, for an unknown name."""
    if name in TEMPLATE_NAMES:
        return
    hint = did_you_mean(name, TEMPLATE_NAMES)
    hint = f"{hint} " if hint else ""
    raise ValueError(
        f"template={name!r} is not known; {hint}built-in templates: {', '.join(BUILTIN_TEMPLATES)}; with a tokenizer "
        f"that has its own chat template also: {', '.join(TOKENIZER_ONLY_TEMPLATES)}"
    )


def _special(tokenizer, which: str) -> str:
    """The BOS / EOS token text for a slot; BOS is left out when the tokenizer adds it itself (TRL tokenizes text
    prompts with ``add_special_tokens=True``, so writing it would double it)."""
    if tokenizer is None:
        return ""
    if which == "eos":
        return tokenizer.eos_token or ""
    bos = tokenizer.bos_token
    if not bos:
        return ""
    ids = tokenizer("a")["input_ids"]
    return "" if ids and ids[0] == tokenizer.bos_token_id else bos


def _fill(slot: str, content: str, tokenizer) -> str:
    # the content is inserted last, so braces or "{eos}" inside a user's text stay as written
    head, _, tail = slot.partition(CONTENT)
    head = head.replace(BOS, _special(tokenizer, "bos")).replace(EOS, _special(tokenizer, "eos"))
    tail = tail.replace(BOS, _special(tokenizer, "bos")).replace(EOS, _special(tokenizer, "eos"))
    return head + content + tail if CONTENT in slot else head


def render_prompt(template: ChatTemplate, messages: Sequence[dict], tokenizer=None) -> str:
    """The text of a GRPO prompt under ``template``: ``messages`` (an optional system message first, then user and
    assistant turns ending with a user turn) rendered as LLaMA-Factory encodes them, ending with the assistant
    header. A prompt without a system message gets ``template.default_system``.

    Raises:
        ValueError: a role other than system/user/assistant, or a system message that is not the first.
    """
    messages = list(messages)
    system = ""
    if messages and messages[0].get("role") == "system":
        system = messages[0]["content"]
        messages = messages[1:]
    system = system or template.default_system
    parts = [_fill(template.prefix, "", tokenizer)]
    for index, message in enumerate(messages):
        role, content = message.get("role"), message.get("content", "")
        system_text = ""
        if index == 0 and system:
            system_text = _fill(template.system, system, tokenizer)
            if not template.fuse_system:
                parts.append(system_text)
                system_text = ""
        if role == "user":
            parts.append(_fill(template.user, system_text + content, tokenizer))
        elif role == "assistant":
            parts.append(_fill(template.assistant, content, tokenizer))
        else:
            where = "a system message after the first turn" if role == "system" else f"role {role!r}"
            raise ValueError(
                f"template {template.name!r} cannot render {where}; prompts hold an optional first system message, "
                "then user and assistant turns"
            )
    return "".join(parts)


def stop_token_fix(template_name: str, tokenizer) -> str | None:
    """Make the template's first stop word the tokenizer's EOS (LLaMA-Factory's ``replace_eos``), in place.

    Returns a description of the change, or None when nothing changed (no such template, the template keeps the
    tokenizer's EOS, the EOS already is the stop word, or the stop word is not a single token of the vocabulary, in
    which case a warning says that generation ends only at the tokenizer's own EOS).
    """
    template = BUILTIN_TEMPLATES.get(template_name)
    if template is None or not template.replace_eos or tokenizer is None:
        return None
    stop = template.stop_words[0]
    if tokenizer.eos_token == stop:
        return None
    if stop not in tokenizer.get_vocab():
        logger.warning(
            "template=%r stops at %r, which is not a token of this tokenizer; generation ends at its EOS %r only",
            template_name, stop, tokenizer.eos_token,
        )
        return None
    old = tokenizer.eos_token
    tokenizer.eos_token = stop
    if tokenizer.pad_token is None:
        tokenizer.pad_token = old
    return f"template={template_name!r}: generation stops at {stop!r} (eos_token {old!r} -> {stop!r})"


def _has_chat_template(tokenizer) -> bool:
    return tokenizer is not None and bool(getattr(tokenizer, "chat_template", None))


def _conversation(prompt, system_prompt: str | None) -> list[dict]:
    messages = [{"role": "user", "content": prompt}] if isinstance(prompt, str) else list(prompt)
    if system_prompt and not any(m.get("role") == "system" for m in messages):
        messages.insert(0, {"role": "system", "content": system_prompt})
    return messages


def choose_renderer(template_name: str, prompt_format: str, tokenizer) -> str:
    """``'tokenizer'`` or ``'builtin'``: which chat template renders the prompts (see the module docstring).

    Raises:
        ValueError: ``prompt_format='chat'`` without a tokenizer chat template, or the built-in path for a template
            name that has no built-in rendering.
    """
    has_own = _has_chat_template(tokenizer)
    if prompt_format == "chat" or (prompt_format == "auto" and has_own):
        if not has_own:
            raise ValueError(
                f"prompt_format='chat' with template={template_name!r} needs a tokenizer with a chat template, and "
                "this one has none; use prompt_format 'auto' or 'text' (the built-in template)"
            )
        return "tokenizer"
    if template_name not in BUILTIN_TEMPLATES:
        reason = "the tokenizer has no chat template" if not has_own else "prompt_format='text' asks for it"
        raise ValueError(
            f"template={template_name!r} has no built-in rendering here and {reason}; built-in templates: "
            f"{', '.join(BUILTIN_TEMPLATES)}"
        )
    return "builtin"


def format_with_template(dataset, template_name: str, prompt_format: str, system_prompt: str | None, tokenizer):
    """Turn the ``prompt`` column (strings or conversations) into what GRPOTrainer takes under ``template_name``:
    conversations for the tokenizer's chat template, or text rendered by the built-in template.

    ``system_prompt`` (LLaMA-Factory's ``default_system``) is the system message of prompts that have none.
    """
    renderer = choose_renderer(template_name, prompt_format, tokenizer)
    if renderer == "tokenizer":
        template = BUILTIN_TEMPLATES.get(template_name)
        marker = template.marker if template is not None else None
        if marker and marker not in tokenizer.chat_template:
            logger.warning(
                "template=%r, but the tokenizer's chat template does not look like it (no %r); prompts are rendered "
                "by the tokenizer's template. Set prompt_format: text to render them with the built-in %r template "
                "(as LLaMA-Factory does)",
                template_name, marker, template_name,
            )
        return dataset.map(lambda row: {"prompt": _conversation(row["prompt"], system_prompt)})
    template = BUILTIN_TEMPLATES[template_name]
    return dataset.map(
        lambda row: {"prompt": render_prompt(template, _conversation(row["prompt"], system_prompt), tokenizer)}
    )


def prompt_token_count(prompt, tokenizer) -> int:
    """Tokens of one prompt as TRL tokenizes it: a conversation through the tokenizer's chat template with the
    generation prompt, a text with the tokenizer's special tokens."""
    if isinstance(prompt, str):
        return len(tokenizer(prompt)["input_ids"])
    return len(tokenizer.apply_chat_template(prompt, add_generation_prompt=True, tokenize=True, return_dict=False))


def drop_long_prompts(dataset, tokenizer, max_prompt_length: int):
    """The rows whose prompt has at most ``max_prompt_length`` tokens; one warning counts the others.

    TRL 1.16 does not truncate prompts, and a truncated problem no longer matches its reference answer, so a prompt
    over the budget is left out rather than cut (LLaMA-Factory cuts it; verl's ``filter_overlong_prompts`` drops it).

    Raises:
        ValueError: no prompt fits (the message gives the shortest prompt's length).
    """
    lengths = [prompt_token_count(p, tokenizer) for p in dataset["prompt"]]
    keep = [i for i, n in enumerate(lengths) if n <= max_prompt_length]
    if not keep:
        raise ValueError(
            f"every prompt is longer than max_prompt_length={max_prompt_length} tokens (the shortest has "
            f"{min(lengths)}); raise cutoff_len / max_prompt_length"
        )
    if len(keep) < len(lengths):
        first = next(i for i, n in enumerate(lengths) if n > max_prompt_length)
        logger.warning(
            "%d of %d prompts are longer than max_prompt_length=%d tokens and are left out (first: row %d, %d tokens)",
            len(lengths) - len(keep), len(lengths), max_prompt_length, first, lengths[first],
        )
        dataset = dataset.select(keep)
    return dataset
