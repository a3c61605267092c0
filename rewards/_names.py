"""Small helpers for names and choices, shared by :mod:`rewards` and :mod:`grpo_plus` (the CLI, the dialects, the
configs): one "did you mean" hint, one comma-list split, one invalid-choice message. They live here because
``rewards`` imports nothing from ``grpo_plus``."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

__all__ = ["choice_error", "closest", "did_you_mean", "split_names"]

CUTOFF = 0.6  # difflib's default similarity: 'acuracy' -> 'accuracy', 'k4' -> nothing


def closest(name: str, valid: Iterable[Any]) -> str | None:
    """The valid name most similar to ``name`` (compared as strings), or None when none is close."""
    match = difflib.get_close_matches(str(name), sorted(str(v) for v in valid), n=1, cutoff=CUTOFF)
    return match[0] if match else None


def did_you_mean(name: str, valid: Iterable[Any]) -> str:
    """``"did you mean 'x'?"`` with the closest valid name, or ``""`` when none is close (or ``name`` is valid)."""
    match = closest(name, valid)
    return f"did you mean '{match}'?" if match is not None and match != str(name) else ""


def split_names(value: str) -> list[str]:
    """``"accuracy, format,"`` -> ``["accuracy", "format"]``: a comma-separated list, blanks dropped."""
    return [part.strip() for part in str(value).split(",") if part.strip()]


def choice_error(field: str, value: Any, choices: Iterable[Any], why: str = "", problem: str = "is not valid") -> str:
    """``"field='x' is not valid; choose one of: 'y', 'z'; did you mean 'y'?"`` (the hint only when one is close).

    ``why`` follows the problem (``": grpo-plus trains GRPO only"``); ``problem`` replaces "is not valid" (e.g.
    "is not supported" for a value that exists elsewhere but not here)."""
    choices = list(choices)
    hint = did_you_mean(value, choices)
    return f"{field}={value!r} {problem}{why}; choose one of: {', '.join(map(repr, choices))}" + (
        f"; {hint}" if hint else ""
    )
