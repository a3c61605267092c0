"""Format and shaping rewards: tag layout, tag counts, DAPO's soft overlong punishment, n-gram repetition.

All accept plain (``str``) and conversational (list of messages; the last assistant message is scored) completions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ._utils import RewardError, check_choice, completion_texts
from .registry import register_reward


def _check_tag(reward: str, field: str, tag: str) -> str:
    if not isinstance(tag, str) or not re.fullmatch(r"[A-Za-z_][\w\-.:]*", tag):
        raise ValueError(f"reward '{reward}': {field}={tag!r} is not a valid tag name (letters, digits, _ - . :)")
    return tag


@register_reward("format", level="outcome")
class Format:
    """1.0 if the completion is <think>…</think><answer>…</answer> (tag names configurable), else 0.0.

    ``strict=True`` (default): the completion, leading/trailing whitespace aside, is exactly one think block
    followed by one answer block (only whitespace between them); the answer is not empty; no tag occurs twice.

    ``strict=False`` (also registered as ``format_lenient``): the closing think tag, the opening and the closing
    answer tags each occur exactly once and in this order; the opening think tag is optional (chat templates such as
    DeepSeek-R1's put it in the prompt) but, when present, occurs once and first; any text may surround the tags; the
    answer is not empty.
    """

    def __init__(self, strict: bool = True, think_tag: str = "think", answer_tag: str = "answer"):
        name = "format" if strict else "format_lenient"
        self.strict = bool(strict)
        self.think_tag = _check_tag(name, "think_tag", think_tag)
        self.answer_tag = _check_tag(name, "answer_tag", answer_tag)
        self.__name__ = name
        t, a = re.escape(self.think_tag), re.escape(self.answer_tag)
        self._tags = (f"<{self.think_tag}>", f"</{self.think_tag}>", f"<{self.answer_tag}>", f"</{self.answer_tag}>")
        self._strict = re.compile(rf"\s*<{t}>(.*?)</{t}>\s*<{a}>(.*?)</{a}>\s*", re.DOTALL)

    def score(self, text: str) -> float:
        open_t, close_t, open_a, close_a = self._tags
        counts = [text.count(tag) for tag in self._tags]
        if self.strict:
            if counts != [1, 1, 1, 1]:
                return 0.0
            match = self._strict.fullmatch(text)
            return 1.0 if match and match.group(2).strip() else 0.0
        if counts[1:] != [1, 1, 1] or counts[0] > 1:
            return 0.0
        i_close_t, i_open_a, i_close_a = text.find(close_t), text.find(open_a), text.find(close_a)
        if not i_close_t < i_open_a < i_close_a:
            return 0.0
        if counts[0] == 1 and text.find(open_t) > i_close_t:
            return 0.0
        return 1.0 if text[i_open_a + len(open_a) : i_close_a].strip() else 0.0

    def __call__(self, completions: Sequence[Any], **kwargs: Any) -> list[float]:
        return [self.score(text) for text in completion_texts(completions, self.__name__)]


@register_reward("format_lenient", level="outcome", factory=True)
def format_lenient(think_tag: str = "think", answer_tag: str = "answer") -> Format:
    """1.0 if the think/answer tags occur once each and in order, text around them allowed (``format``, strict=False)."""
    return Format(strict=False, think_tag=think_tag, answer_tag=answer_tag)


@register_reward("tag_count", level="outcome")
class TagCount:
    """Partial format credit: 0.25 for each of <think>, </think>, <answer>, </answer> that occurs exactly once.

    A tag that is missing or repeated earns nothing, so the score is in {0, 0.25, 0.5, 0.75, 1}. Tag names are
    configurable; ``count_opening_think=False`` drops the opening think tag (prefilled by the chat template) and
    gives 1/3 per remaining tag.
    """

    def __init__(self, think_tag: str = "think", answer_tag: str = "answer", count_opening_think: bool = True):
        think = _check_tag("tag_count", "think_tag", think_tag)
        answer = _check_tag("tag_count", "answer_tag", answer_tag)
        tags = [f"<{think}>", f"</{think}>", f"<{answer}>", f"</{answer}>"]
        self.tags = tags if count_opening_think else tags[1:]
        self.__name__ = "tag_count"

    def __call__(self, completions: Sequence[Any], **kwargs: Any) -> list[float]:
        texts = completion_texts(completions, self.__name__)
        return [sum(text.count(tag) == 1 for tag in self.tags) / len(self.tags) for text in texts]


def _lengths(reward: str, completions: Sequence[Any], completion_ids: Any) -> list[int]:
    if completion_ids is None:
        raise RewardError(
            reward,
            "needs completion_ids (token ids of each completion, passed by TRL's GRPOTrainer); "
            "call it as f(completions=..., completion_ids=...)",
        )
    ids = list(completion_ids)
    if len(ids) != len(completions):
        raise RewardError(reward, f"got {len(ids)} completion_ids for {len(completions)} completions")
    return [len(x) for x in ids]


@register_reward("soft_overlong", level="outcome")
class SoftOverlong:
    """DAPO's soft overlong punishment (Yu et al. 2025, arXiv 2503.14476, Eq. 13) on the completion's token count.

    With L = completion tokens, L_max = ``max_completion_length`` and L_cache = ``soft_punish_cache``:
    0 if L <= L_max - L_cache; ((L_max - L_cache) - L) / L_cache if L_max - L_cache < L <= L_max; -1 if L > L_max.
    Set ``max_completion_length`` to the trainer's value (it is not passed to rewards).
    """

    def __init__(self, max_completion_length: int, soft_punish_cache: int | None = None):
        if not isinstance(max_completion_length, int) or max_completion_length < 1:
            raise ValueError(
                f"reward 'soft_overlong': max_completion_length must be a positive int, got {max_completion_length!r}"
            )
        cache = max_completion_length // 4 if soft_punish_cache is None else soft_punish_cache
        if not isinstance(cache, int) or not 0 < cache <= max_completion_length:
            raise ValueError(
                f"reward 'soft_overlong': soft_punish_cache must be an int in [1, {max_completion_length}], got {cache!r}"
            )
        self.max_completion_length = max_completion_length
        self.soft_punish_cache = cache
        self.__name__ = "soft_overlong"

    def __call__(self, completions: Sequence[Any], completion_ids: Any = None, **kwargs: Any) -> list[float]:
        start = self.max_completion_length - self.soft_punish_cache
        out = []
        for length in _lengths(self.__name__, completions, completion_ids):
            if length <= start:
                out.append(0.0)
            elif length <= self.max_completion_length:
                out.append((start - length) / self.soft_punish_cache)
            else:
                out.append(-1.0)
        return out


@register_reward("repetition", level="outcome")
class Repetition:
    """N-gram repetition penalty: ``max_penalty * (1 - distinct n-grams / all n-grams)``, 0 when nothing repeats.

    Following Yeo et al. 2025 (arXiv 2502.03373, App. C.2). ``unit="tokens"`` counts n-grams of completion token ids
    (``completion_ids``, passed by TRL); ``unit="words"`` of whitespace-separated words of the text. Completions
    shorter than ``ngram_size`` units get 0.
    """

    def __init__(self, ngram_size: int = 3, max_penalty: float = -1.0, unit: str = "tokens"):
        if not isinstance(ngram_size, int) or ngram_size < 1:
            raise ValueError(f"reward 'repetition': ngram_size must be a positive int, got {ngram_size!r}")
        if max_penalty > 0:
            raise ValueError(f"reward 'repetition': max_penalty must be <= 0, got {max_penalty!r}")
        check_choice("repetition", "unit", unit, ("tokens", "words"))
        self.ngram_size = ngram_size
        self.max_penalty = float(max_penalty)
        self.unit = unit
        self.__name__ = "repetition"

    def penalty(self, units: Sequence[Any]) -> float:
        n = self.ngram_size
        total = len(units) - n + 1
        if total <= 0:
            return 0.0
        distinct = len({tuple(units[i : i + n]) for i in range(total)})
        return self.max_penalty * (1.0 - distinct / total) if distinct < total else 0.0

    def __call__(self, completions: Sequence[Any], completion_ids: Any = None, **kwargs: Any) -> list[float]:
        if self.unit == "words":
            return [self.penalty(text.split()) for text in completion_texts(completions, self.__name__)]
        if completion_ids is None:
            raise RewardError(
                self.__name__,
                "unit='tokens' needs completion_ids (passed by TRL's GRPOTrainer); use unit='words' to score text",
            )
        _lengths(self.__name__, completions, completion_ids)
        return [self.penalty(list(ids)) for ids in completion_ids]
