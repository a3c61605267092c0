"""Helpers shared by the built-in rewards: completion text, dataset columns, error messages."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class RewardError(ValueError):
    """An error raised while computing a reward; the message names the reward and, if known, the sample index."""

    def __init__(self, reward: str, message: str, index: int | None = None):
        where = f"reward '{reward}'" if index is None else f"reward '{reward}', sample {index}"
        super().__init__(f"{where}: {message}")
        self.reward = reward
        self.index = index


def _content_text(content: Any, reward: str, index: int) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, dict) and part.get("type", "text") == "text":
                parts.append(str(part.get("text", "")))
        return "".join(parts)
    raise RewardError(reward, f"message content must be a str or a list of parts, got {type(content).__name__}", index)


def completion_text(completion: Any, reward: str, index: int) -> str:
    """The text of one completion, plain (``str``) or conversational (a list of chat messages).

    For a conversation the answer is the content of the last ``assistant`` message (the last message if none has a
    role): in multi-turn tool use the final answer is in the final assistant turn. Multimodal content (a list of
    ``{"type": "text", "text": ...}`` parts) is joined.
    """
    if isinstance(completion, str):
        return completion
    if isinstance(completion, dict):
        return _content_text(completion.get("content"), reward, index)
    if isinstance(completion, (list, tuple)):
        if not completion:
            return ""
        if not all(isinstance(m, dict) for m in completion):
            raise RewardError(reward, "a conversational completion must be a list of message dicts", index)
        assistant = [m for m in completion if m.get("role", "assistant") == "assistant"]
        message = assistant[-1] if assistant else completion[-1]
        return _content_text(message.get("content"), reward, index)
    raise RewardError(
        reward, f"a completion must be a str or a list of chat messages, got {type(completion).__name__}", index
    )


def completion_texts(completions: Sequence[Any], reward: str) -> list[str]:
    return [completion_text(c, reward, i) for i, c in enumerate(completions)]


def prompt_text(prompt: Any, reward: str, index: int) -> str:
    """The question of one prompt: the string itself, or the content of the last ``user`` message."""
    if prompt is None:
        return ""
    if isinstance(prompt, str):
        return prompt
    if isinstance(prompt, (list, tuple)):
        if not all(isinstance(m, dict) for m in prompt):
            raise RewardError(reward, "a conversational prompt must be a list of message dicts", index)
        users = [m for m in prompt if m.get("role") == "user"]
        if users:
            return _content_text(users[-1].get("content"), reward, index)
        return "\n".join(_content_text(m.get("content"), reward, index) for m in prompt)
    raise RewardError(reward, f"a prompt must be a str or a list of chat messages, got {type(prompt).__name__}", index)


def column(kwargs: dict[str, Any], name: str, n: int, reward: str) -> list[Any]:
    """The dataset column ``name`` from the reward's keyword arguments, checked to hold one value per completion."""
    if name not in kwargs or kwargs[name] is None:
        given = sorted(k for k in kwargs if k not in {"trainer_state", "log_extra", "log_metric"})
        raise RewardError(
            reward,
            f"needs the dataset column '{name}' (passed as a keyword argument by the trainer); "
            f"keyword arguments received: {given}",
        )
    values = list(kwargs[name])
    if len(values) != n:
        raise RewardError(reward, f"column '{name}' has {len(values)} values for {n} completions")
    return values


def check_choice(reward: str, field: str, value: Any, choices: Sequence[Any]) -> None:
    if value not in choices:
        raise ValueError(f"reward '{reward}': {field}={value!r} is not valid; choose one of {list(choices)}")


def check_step_inputs(reward: str, steps: Any, completions: Any) -> None:
    """The arguments every step reward needs: ``steps`` given, one step list per completion."""
    if steps is None:
        raise RewardError(
            reward, "is a step reward: call it with steps=list[list[str]] (the trainer's split of each completion)"
        )
    if completions is not None and len(completions) != len(steps):
        raise RewardError(reward, f"got {len(steps)} step lists for {len(completions)} completions")
