"""``accuracy``: math answer correctness with math-verify, under a hard time limit that holds in any thread.

Grading one completion against its gold answer (``solution`` column by default):

1. **Answer extraction** (in the trainer process, plain string scanning): the content of the last
   ``<answer>…</answer>`` block if there is one, then inside it (or in the whole text) the content of the last
   ``\\boxed{…}`` / ``\\fbox{…}``. A boxed content, or a short answer-tag content that is not prose, is parsed as one
   LaTeX expression; answer-tag prose ("The answer is 12.") is searched by math-verify with its default targets;
   a completion with neither tag nor box goes to math-verify whole, configured as TRL's ``accuracy_reward``
   (LaTeX answers only, boxed first).
2. **Gold parsing**: a gold with LaTeX delimiters (``$``, ``\\(``, ``\\[``, ``\\boxed``) is parsed as written; a bare
   gold (``\\frac{1}{3}``, ``[1, 2)``, ``2\\sqrt{2}``) is parsed as one LaTeX expression (math-verify alone would read
   ``2\\sqrt{2}`` as ``2`` and ``(-\\infty, 3]`` as ``3``), falling back to math-verify's default extraction. A GSM8K
   gold ``"... #### 72"`` is reduced to ``72``. A gold from which math-verify extracts no mathematical object (only
   a raw-string fallback, or nothing) gives ``None`` for its samples (the trainer skips them), never 0.
3. **Comparison**: ``math_verify.verify(gold, answer)``, gold first (the function is not symmetric). Answers are
   normalised as golds are, with math-verify's default LaTeX normalisation (units removed, ``\\frac14`` and
   ``\\sqrt2`` read as ``\\frac{1}{4}`` and ``\\sqrt{2}``); TRL's ``accuracy_reward`` turns the last two fixes off.

Time limit: every (gold, answer) pair is graded in a worker process (:mod:`rewards._pool`); a pair that runs longer
than ``timeout`` seconds has its worker killed (a replacement is forked from a warm zygote in milliseconds), is
scored 0.0 and is logged once per call (a worker that dies on a pair is treated the same way). math-verify's own ``signal.alarm`` timeouts are disabled: they only work in the main thread
and cannot interrupt a C-level big-integer computation such as ``\\boxed{9^{9^{9^{9^{9}}}}}``, which holds the GIL.

Speed: a boxed plain number (``-12``, ``0.5``, ``\\frac{3}{4}``) against a plain-number gold is decided in the
trainer process without math-verify when the answer is certain (exactly equal values: 1.0; two different integers:
0.0; anything else, e.g. ``0.333333`` against ``\\frac{1}{3}``, goes to math-verify); the rest is graded by workers
in parallel (one per CPU core by default, shared between all ``accuracy`` instances and started once); identical
(gold, extracted answer) pairs within a call are graded once; the answers of one gold go preferably to the same
worker, which parses that gold once and caches it (the G completions of a prompt share one gold).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from ._pool import CRASH, OK, TIMEOUT, get_pool
from ._utils import RewardError, column, completion_texts
from .registry import register_reward

logger = logging.getLogger(__name__)

BOXED, ANSWER_TEXT, TEXT = "boxed", "answer_text", "text"
_PRELOAD = ("rewards.accuracy:warm_up",)
_GOLD_CACHE: dict[str, list] = {}
_GOLD_CACHE_SIZE = 4096
_DELIMITED = re.compile(r"\$|\\\(|\\\[|\\boxed|\\fbox")
_PROSE = re.compile(r"(?<![\\a-zA-Z])(?:[a-zA-Z]{3,}|[a-zA-Z]{2}\s+[a-zA-Z]{2,})")
_LATEX_TEXT = re.compile(r"\\(?:text|textbf|mathrm|mbox|operatorname)\s*\{[^{}]*\}|\\[a-zA-Z]+")


def last_boxed(text: str) -> str | None:
    """Content of the last ``\\boxed{...}`` or ``\\fbox{...}`` in ``text`` (braces balanced, ``\\{`` skipped)."""
    start = max(text.rfind("\\boxed"), text.rfind("\\fbox"))
    while start >= 0:
        body = start + (6 if text.startswith("\\boxed", start) else 5)
        i = body
        while i < len(text) and text[i] == " ":
            i += 1
        if i < len(text) and text[i] == "{":
            depth, j = 0, i
            while j < len(text):
                ch = text[j]
                if ch == "\\":
                    j += 2
                    continue
                if ch == "{":
                    depth += 1
                elif ch == "}":
                    depth -= 1
                    if depth == 0:
                        return text[i + 1 : j]
                j += 1
        elif body < i < len(text):
            match = re.match(r"[^\s$]+", text[i:])
            if match:
                return match.group(0)
        start = max(text.rfind("\\boxed", 0, start), text.rfind("\\fbox", 0, start))
    return None


def _strip_delimiters(text: str) -> str:
    text = text.strip()
    for left, right in (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")):
        if text.startswith(left) and text.endswith(right) and len(text) > len(left) + len(right):
            return text[len(left) : -len(right)].strip()
    return text


def extract_answer(text: str, answer_tag: str | None = "answer") -> tuple[str, str]:
    """``(source, mode)`` to grade for one completion text.

    ``mode`` is ``"boxed"`` (``source`` is one LaTeX expression), ``"answer_text"`` (``source`` is the prose inside
    the answer tag, searched with math-verify's default targets) or ``"text"`` (``source`` is the whole completion,
    searched as TRL's ``accuracy_reward`` does).
    """
    region = None
    if answer_tag:
        close = text.rfind(f"</{answer_tag}>")
        if close >= 0:
            open_ = text.rfind(f"<{answer_tag}>", 0, close)
            if open_ >= 0:
                region = text[open_ + len(answer_tag) + 2 : close]
    boxed = last_boxed(region if region is not None else text)
    if boxed is not None:
        return boxed.strip(), BOXED
    if region is None:
        return text, TEXT
    content = region.strip().rstrip(".").strip()
    if _DELIMITED.search(content) or _PROSE.search(_LATEX_TEXT.sub(" ", content)):
        return content, ANSWER_TEXT
    return _strip_delimiters(content), BOXED


def _math_verify():
    import math_verify

    return math_verify


def _gold_text(gold: str) -> str:
    text = gold.strip()
    if "####" in text:
        text = text.rsplit("####", 1)[1].strip()
    return text


_NUMBER = re.compile(
    r"(-?)\s*(?:(\d{1,30})(?:\.(\d{1,30}))?|\\[dt]?frac\s*\{(\d{1,30})\}\s*\{(\d{1,30})\}|(\d{1,30})\s*/\s*(\d{1,30}))"
)


def simple_number(text: str) -> tuple[Fraction, bool] | None:
    """``(value, is_integer_literal)`` for a plain number (``-12``, ``0.5``, ``\\frac{3}{4}``, ``3/4``, optionally in
    ``$...$``), else None."""
    match = _NUMBER.fullmatch(_strip_delimiters(text).rstrip("."))
    if match is None:
        return None
    sign, integer, decimals, num, den, slash_num, slash_den = match.groups()
    if integer is not None:
        value = Fraction(f"{integer}.{decimals}" if decimals else integer)
        literal = decimals is None
    else:
        numerator, denominator = (num, den) if num is not None else (slash_num, slash_den)
        if int(denominator) == 0:
            return None
        value, literal = Fraction(int(numerator), int(denominator)), False
    return (-value if sign else value), literal


def fast_grade(gold: str, source: str, mode: str) -> float | None:
    """The score of a pair of plain numbers without math-verify, when it is certain: 1.0 for exactly equal values,
    0.0 for two different integer literals; None (ask math-verify) otherwise, e.g. ``1/3`` vs ``0.333333``, which
    math-verify accepts by rounding."""
    if mode != BOXED:
        return None
    g, a = simple_number(_gold_text(gold)), simple_number(source)
    if g is None or a is None:
        return None
    if g[0] == a[0]:
        return 1.0
    if g[1] and a[1]:
        return 0.0
    return None


def _parse_gold(gold: str) -> list:
    cached = _GOLD_CACHE.get(gold)
    if cached is not None:
        return cached
    mv = _math_verify()
    text = _gold_text(gold)
    parsed: list = []
    if text and not _DELIMITED.search(text):
        parsed = mv.parse(
            f"${text}$", [mv.LatexExtractionConfig()], fallback_mode="no_fallback", parsing_timeout=None
        )
    if not parsed and text:
        parsed = mv.parse(text, fallback_mode="no_fallback", parsing_timeout=None)
    if len(_GOLD_CACHE) >= _GOLD_CACHE_SIZE:
        _GOLD_CACHE.clear()
    _GOLD_CACHE[gold] = parsed
    return parsed


def grade(gold: str, source: str, mode: str) -> tuple[float | None, str]:
    """Grade one extracted answer against one gold (runs in a worker process). Returns ``(score, parsed answer)``;
    the score is ``None`` when the gold does not parse."""
    mv = _math_verify()
    gold_parsed = _parse_gold(gold)
    if not gold_parsed:
        return None, "[unparsable gold]"
    latex = mv.LatexExtractionConfig(boxed_match_priority=0, try_extract_without_anchor=mode != TEXT)
    if mode == BOXED:
        answer = mv.parse(
            "\\boxed{" + source + "}", extraction_config=[latex], extraction_mode="first_match", parsing_timeout=None
        )
    elif mode == ANSWER_TEXT:
        answer = mv.parse(source, extraction_config=[latex, mv.ExprExtractionConfig()], parsing_timeout=None)
    else:
        answer = mv.parse(source, extraction_config=[latex], extraction_mode="first_match", parsing_timeout=None)
    if not answer:
        return 0.0, "[unparsable]"
    correct = mv.verify(gold_parsed, answer, timeout_seconds=None)
    return float(correct), str(answer[-1])


_WARM_UP = [
    ("\\frac{1}{2}", "0.5"),
    ("x^2 + 2x + 1", "(x+1)^2"),
    ("2\\sqrt{2}", "\\sqrt{8}"),
    ("[1, 2)", "[1,2)"),
    ("\\{1, 2\\}", "\\{2, 1\\}"),
    ("50\\%", "0.5"),
    ("x = 2", "2"),
]


def warm_up() -> None:
    """Preload (runs once in the zygote, inherited by every worker): import math-verify, exercise the sympy paths
    that import lazily (simplification, sets, intervals, relations: about a second on first use), and silence
    math-verify's 'timeout disabled' warnings."""
    for name in ("math_verify.parser", "math_verify.grader"):
        logging.getLogger(name).setLevel(logging.ERROR)
    for gold, answer in _WARM_UP:
        grade(gold, answer, BOXED)
    _GOLD_CACHE.clear()


@register_reward("accuracy", level="outcome")
class Accuracy:
    """Math answer correctness (math-verify): 1.0 / 0.0, None when the gold does not parse; hard per-sample timeout.

    Args:
        solution_column: dataset column holding the gold answers.
        timeout: seconds allowed per (gold, answer) pair; past it the worker is killed and the sample scored 0.0.
        num_workers: grading processes (default: CPU cores available, divided by ``LOCAL_WORLD_SIZE``).
        answer_tag: name of the answer tag whose content is preferred (``None``: ignore tags).
        memory_limit_mb: address-space limit per worker (0: none); a runaway computation then fails fast with
            MemoryError and is scored 0.0.
    """

    def __init__(
        self,
        solution_column: str = "solution",
        timeout: float = 5.0,
        num_workers: int | None = None,
        answer_tag: str | None = "answer",
        memory_limit_mb: int = 4096,
    ):
        if not timeout or timeout <= 0:
            raise ValueError(f"reward 'accuracy': timeout must be a positive number of seconds, got {timeout!r}")
        if num_workers is not None and int(num_workers) < 1:
            raise ValueError(f"reward 'accuracy': num_workers must be >= 1 or None, got {num_workers!r}")
        self.solution_column = solution_column
        self.timeout = float(timeout)
        self.num_workers = num_workers
        self.answer_tag = answer_tag
        self.memory_limit_mb = int(memory_limit_mb)
        self.__name__ = "accuracy"

    @property
    def pool(self):
        return get_pool(self.num_workers, _PRELOAD, self.memory_limit_mb)

    def __call__(self, completions: Sequence[Any], **kwargs: Any) -> list[float | None]:
        name = self.__name__
        n = len(completions)
        if n == 0:
            return []
        golds = column(kwargs, self.solution_column, n, name)
        texts = completion_texts(completions, name)
        keys: list[tuple[str, str, str] | None] = []
        for i, (gold, text) in enumerate(zip(golds, texts)):
            if gold is None:
                keys.append(None)
                continue
            if not isinstance(gold, (str, int, float)):
                raise RewardError(name, f"gold answer must be a str or a number, got {type(gold).__name__}", i)
            source, mode = extract_answer(text, self.answer_tag)
            keys.append((str(gold), source, mode))
        outcomes: dict[tuple[str, str, str], tuple[str, Any]] = {}
        for key in dict.fromkeys(k for k in keys if k is not None):
            score = fast_grade(*key)
            if score is not None:
                outcomes[key] = (OK, (score, key[1]))
        pending = [k for k in dict.fromkeys(k for k in keys if k is not None) if k not in outcomes]
        if pending:
            calls = [(grade, key) for key in pending]
            outcomes.update(zip(pending, self.pool.run(calls, timeout=self.timeout, keys=[k[0] for k in pending])))
        rewards: list[float | None] = []
        parsed: list[str] = []
        timed_out: list[int] = []
        for i, key in enumerate(keys):
            if key is None:
                rewards.append(None)
                parsed.append("[no gold]")
                continue
            status, value = outcomes[key]
            if status == OK:
                rewards.append(value[0])
                parsed.append(value[1])
            elif status in (TIMEOUT, CRASH):
                rewards.append(0.0)
                parsed.append(f"[{status}]")
                timed_out.append(i)
            else:
                raise RewardError(name, f"grading failed in the worker: {value}", i)
        if timed_out:
            first = texts[timed_out[0]]
            logger.warning(
                "%s: %d sample(s) exceeded the %.1f s grading timeout (or crashed their worker) and were scored 0.0: "
                "indices %s; first answer: %r",
                name,
                len(timed_out),
                self.timeout,
                timed_out,
                first[:200] + ("..." if len(first) > 200 else ""),
            )
        log_extra = kwargs.get("log_extra")
        if callable(log_extra):
            log_extra("answer_parsed", parsed)
        log_metric = kwargs.get("log_metric")
        if callable(log_metric):
            log_metric(f"rewards/{name}/timeouts", float(len(timed_out)))
        return rewards
