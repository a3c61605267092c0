"""Audited labels of the ``accuracy_math_labels`` benchmark: completions whose source label was found wrong on reading.

Every completion on which the source's label (the Qwen2.5-Math harness's checker) and the ``accuracy`` reward
(defaults) disagreed was read by hand with its question and gold. ``AUDITS`` maps a record id (as built by
:mod:`benchmarks.accuracy_math_data`) to ``(audited label, reason)`` where the source label is wrong; where it was
right (the reward erred), the record keeps its label and is not listed.
"""

from __future__ import annotations

AUDITS: dict[str, tuple[bool, str]] = {}
