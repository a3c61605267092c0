"""Splitting completions into reasoning steps and mapping each step's end to a completion token.

Process supervision (DeepSeekMath, arXiv 2402.03300, §4.1.3) rewards every reasoning step of a completion and
gives token ``t`` the sum (or, min-form, the minimum) of the normalised rewards of the steps that end at or after
``t``. That needs, for every step, the index of the completion token at which the step ends. This module computes it.

Text and characters
    The text being split is exactly what the trainer's reward functions see: TRL decodes completions with
    ``tokenizer.batch_decode(completion_ids, skip_special_tokens=True)``, so every character offset here is an
    offset into that string (special tokens such as EOS decode to ``""``).

Steps (:func:`split_steps`)
    The text is cut after every (non-overlapping, left-to-right) occurrence of the separator; the separator
    belongs to the step it ends. A piece whose text, minus its separator, is empty or whitespace only is
    dropped: it is not returned as a step, and since a step's span runs from the end of the previous kept step
    to its own end, its characters count toward the next kept step (``"a\\n\\n\\n\\nb"`` gives ``"a\\n\\n"``
    and ``"b"``; the token range of ``"b"`` includes the second ``"\\n\\n"``). Characters after the last kept
    step (dropped trailing pieces) count toward the last step, which always ends at the last token. A text
    with no kept piece (empty, only separators, only whitespace) is a single step: the whole text, ending at
    character ``len(text) - 1`` (``-1`` for the empty text). A truncated completion's last partial step counts.

Tokens (:func:`token_char_ends`, :func:`step_token_ends`)
    A character belongs to the token holding its last byte, i.e. the first token after which it is decoded.
    Formally, character ``c`` belongs to token ``k - 1`` for the smallest ``k`` such that
    ``decode(ids[:k])`` starts with ``text[:c + 1]``. A step ends at the token of its last character, except
    the last step, which always ends at the last token (``len(ids) - 1``, the EOS token if present, even though
    EOS decodes to ``""``; ``0`` for an empty id list). Two steps ending inside one token both map to it, so step
    ends are non-decreasing, not necessarily increasing.

Cost
    Decoding every prefix is quadratic in the completion length. Instead, offsets come from incremental
    detokenisation (as in vLLM / TGI): the text a token completes is the suffix a short window of ids
    ``ids[prefix:i + 1]`` adds to ``ids[prefix:read]``, emitted once it no longer ends in an incomplete UTF-8
    character (U+FFFD). Tokens whose text does not depend on their neighbours (most of them) skip even that:
    their in-context text is decoded once per distinct id, after an anchor token, and reused. For reasoning text
    this costs well under 1 µs of CPU per token (``benchmarks/bench_steps.py``).

    The concatenation of the emitted texts is compared with the full decode. Where they differ, offsets are
    recomputed exactly from the first disagreeing character on: by one prefix decode per token in
    :func:`token_char_ends`, and by a binary search over prefix decodes per step end in :func:`step_token_ends`
    (``O(S log T)`` decodes; it assumes a longer prefix keeps covering a character, which every decoder we know
    satisfies outside undecodable byte runs). Two causes: a context-dependent decoder or clean-up step (logged
    once per process as a warning, since every completion then pays for prefix decodes), and, routinely, a
    truncated completion whose SentencePiece byte run is cut mid-character, which the full decode turns
    entirely into U+FFFD (only the last few tokens are recomputed; no warning).

U+FFFD in the text
    A prefix decode that ends in an incomplete character shows U+FFFD, so by the definition above a U+FFFD of
    the text (invalid bytes, a character cut by truncation) belongs to the first token whose prefix decode shows
    it, which may precede the token holding its last byte. Such tokens are recomputed by prefix decodes too.
"""

from __future__ import annotations

import logging
from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from itertools import accumulate, compress, repeat
from operator import is_

logger = logging.getLogger(__name__)

__all__ = ["split_completions", "split_steps", "split_turns", "step_token_ends", "token_char_ends", "turn_spans"]

REPLACEMENT_CHAR = "\ufffd"
_ANCHOR_TEXT = "a"
_warned: set[str] = set()


def _warn_once(key: str, message: str, *args) -> None:
    if key not in _warned:
        _warned.add(key)
        logger.warning(message, *args)


def split_steps(text: str, separator: str = "\n\n") -> tuple[list[str], list[int]]:
    """Split ``text`` into steps at ``separator``; the separator belongs to the step it ends.

    Args:
        text: one completion, as decoded with ``skip_special_tokens=True``.
        separator: non-empty string that ends a step.

    Returns:
        ``(steps, char_ends)``: the S ≥ 1 step texts (separator included) and, per step, the index in ``text``
        of its last character (inclusive), so ``text[end - len(step) + 1 : end + 1] == step``. Pieces that are
        empty or whitespace only once their separator is removed are dropped (their characters count toward
        the next kept step, or the last step at the end of the text). If nothing is kept, the whole text is the
        one step: ``([text], [len(text) - 1])``, e.g. ``([""], [-1])`` for an empty completion.

    Raises:
        ValueError: if ``separator`` is empty or not a string.
    """
    if not isinstance(separator, str) or not separator:
        raise ValueError(f"step_separator must be a non-empty string, got {separator!r}")
    parts = text.split(separator)
    steps: list[str] = []
    char_ends: list[int] = []
    position = 0
    for j, part in enumerate(parts):
        step = part if j == len(parts) - 1 else part + separator
        position += len(step)
        if part.strip():
            steps.append(step)
            char_ends.append(position - 1)
    if not steps:
        return [text], [len(text) - 1]
    return steps, char_ends


class _Detokenizer:
    """Decoding helpers bound to one tokenizer, plus a per-token-id cache of decoded texts.

    ``decode``/``decode_many`` decode ids with ``skip_special_tokens=True`` through the Rust backend when the
    tokenizer is fast and does no Python-side clean-up, else through the tokenizer itself. ``full_texts``
    always goes through ``tokenizer.batch_decode``: that is the text the trainer's rewards see.
    """

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer
        backend = getattr(tokenizer, "backend_tokenizer", None) if getattr(tokenizer, "is_fast", False) else None
        if backend is not None and not getattr(tokenizer, "clean_up_tokenization_spaces", False):
            self.decode: Callable[[list[int]], str] = lambda ids: backend.decode(ids, skip_special_tokens=True)
            self.decode_many: Callable[[list[list[int]]], list[str]] = lambda seqs: backend.decode_batch(
                seqs, skip_special_tokens=True
            )
        else:
            self.decode = lambda ids: tokenizer.decode(ids, skip_special_tokens=True)
            self.decode_many = lambda seqs: list(tokenizer.batch_decode(seqs, skip_special_tokens=True))
        self.single: dict[int, str] = {}
        self.in_context: dict[int, str] = {}
        self.anchor, self.anchor_text = self._find_anchor()

    def _find_anchor(self) -> tuple[list[int] | None, str]:
        """Ids of a short plain text whose decode is non-empty and complete, or ``None`` if there is none."""
        try:
            anchor = list(self.tokenizer.encode(_ANCHOR_TEXT, add_special_tokens=False))
        except (AttributeError, TypeError, ValueError):
            return None, ""
        anchor_text = self.decode(anchor) if anchor else ""
        if not anchor_text or REPLACEMENT_CHAR in anchor_text:
            return None, ""
        return anchor, anchor_text

    def full_texts(self, sequences: list[list[int]]) -> list[str]:
        return list(self.tokenizer.batch_decode(sequences, skip_special_tokens=True))

    def cache(self, ids: Iterable[int]) -> None:
        """Decode every id not cached yet, alone and after the anchor.

        ``single[t]`` is ``decode([t])``; ``in_context[t]`` is the text ``t`` adds after the anchor, kept only
        if it is non-empty and free of U+FFFD (a complete text that does not depend on the previous token, as
        far as one anchor can tell; the final comparison with the full decode checks it).
        """
        missing = sorted(set(ids).difference(self.single))
        if not missing:
            return
        for t, text in zip(missing, self.decode_many([[t] for t in missing]), strict=True):
            self.single[t] = text
        if self.anchor is None:
            return
        anchored = self.decode_many([[*self.anchor, t] for t in missing])
        prefix = self.anchor_text
        for t, text in zip(missing, anchored, strict=True):
            if text.startswith(prefix) and len(text) > len(prefix):
                piece = text[len(prefix) :]
                if REPLACEMENT_CHAR not in piece:
                    self.in_context[t] = piece


def _incremental_ends(det: _Detokenizer, ids: list[int]) -> tuple[str, list[int]]:
    """Incremental detokenisation of ``ids`` (length T), ``det.cache`` already filled for them.

    Returns:
        ``(text, ends)``: the concatenated emitted text and, per token, the exclusive end offset of the text
        complete after it (T non-decreasing ints). Correct only if ``text`` equals the full decode (checked by
        the caller).
    """
    decode, single = det.decode, det.single
    n = len(ids)
    direct = list(map(det.in_context.get, ids))
    not_direct = list(compress(range(n), map(is_, direct, repeat(None))))
    not_direct.append(n)
    ends = [0] * n
    pieces: list[str] = []
    emitted = complete = 0
    prefix = read = prefix_len = 0
    window = ""
    i = 0
    while i < n:
        if read == i and emitted and direct[i] is not None:
            # A run of context-free tokens right after complete text: their pieces are their texts.
            stop = not_direct[bisect_left(not_direct, i)]
            run = direct[i:stop]
            pieces.extend(run)
            ends[i:stop] = list(accumulate(map(len, run), initial=emitted))[1:]
            emitted = complete = ends[stop - 1]
            prefix, read, prefix_len = stop - 1, stop, len(single[ids[stop - 1]])
            i = stop
            continue
        window = decode(ids[prefix : i + 1])
        if len(window) > prefix_len and window[-1] != REPLACEMENT_CHAR:
            pieces.append(window[prefix_len:])
            emitted += len(window) - prefix_len
            complete = max(complete, emitted)
            prefix, read = read, i + 1
            prefix_len = len(single[ids[prefix]]) if read - prefix == 1 else len(decode(ids[prefix:read]))
        elif window.endswith(REPLACEMENT_CHAR):
            complete = max(complete, emitted + len(window.rstrip(REPLACEMENT_CHAR)) - prefix_len)
        ends[i] = complete
        i += 1
    if read < n:
        pieces.append(window[prefix_len:])
        emitted += max(0, len(window) - prefix_len)
        ends[-1] = max(complete, emitted)
    return "".join(pieces), ends


def _common_prefix_len(a: str, b: str) -> int:
    """Length of the longest common prefix of ``a`` and ``b`` (binary search over C-level slice compares)."""
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _as_id_list(token_ids) -> list[int]:
    if isinstance(token_ids, list):
        return token_ids
    return token_ids.tolist() if hasattr(token_ids, "tolist") else [int(t) for t in token_ids]


def _checked_ends(det: _Detokenizer, ids: list[int], text: str | None) -> tuple[str, list[int], int]:
    """Incremental ends, the full text, and the first token index from which the ends are not trusted.

    Returns:
        ``(text, ends, first_untrusted)``: ``first_untrusted == len(ids)`` when the incremental text equals the
        full decode; otherwise ends at indices ``>= first_untrusted`` must be recomputed exactly.

    Raises:
        ValueError: if ``text`` is given and is not ``tokenizer.decode(ids, skip_special_tokens=True)``.
    """
    det.cache(ids)
    fast_text, ends = _incremental_ends(det, ids)
    if text is not None and fast_text == text and (not ends or ends[-1] == len(text)):
        return text, ends, len(ids)
    full = det.full_texts([ids])[0]
    if text is not None and text != full:
        raise ValueError(
            "text must equal tokenizer.decode(token_ids, skip_special_tokens=True); got a different string "
            f"({len(text)} vs {len(full)} characters, first difference at {_common_prefix_len(text, full)})"
        )
    if fast_text == full and (not ends or ends[-1] == len(full)):
        return full, ends, len(ids)
    agree = _common_prefix_len(fast_text, full)
    first_untrusted = bisect_left(ends, agree)
    if full[agree:].strip(REPLACEMENT_CHAR):
        _warn_once(
            f"fallback:{type(det.tokenizer).__name__}",
            "grpo_plus.steps: incremental detokenisation disagrees with the full decode for %s (first at character "
            "%d of %d); recomputing offsets from there with prefix decodes. Further occurrences are not logged.",
            type(det.tokenizer).__name__,
            agree,
            len(full),
        )
    else:
        # Expected: a byte run cut at the end of a truncated completion, which the full decode turns into U+FFFD.
        logger.debug("recomputing the offsets of the last %d tokens (undecodable tail)", len(ids) - first_untrusted)
    return full, ends, first_untrusted


def _covers(det: _Detokenizer, ids: list[int], k: int, target: str) -> bool:
    """Whether the decode of the first ``k`` ids starts with ``target`` (decoded as the trainer decodes)."""
    return det.full_texts([ids[:k]])[0].startswith(target)


def token_char_ends(tokenizer, token_ids: Sequence[int]) -> list[int]:
    """For each token, the exclusive end offset of the text complete after it.

    Args:
        tokenizer: a Hugging Face tokenizer (fast or slow) or any object with ``decode``/``batch_decode``.
        token_ids: T completion token ids, no padding (a 1-D tensor is accepted).

    Returns:
        T non-decreasing ints: ``ends[i]`` is the number of leading characters of
        ``tokenizer.decode(token_ids, skip_special_tokens=True)`` that are decoded once tokens ``0..i`` are,
        i.e. ``max over j <= i`` of the common-prefix length of ``decode(token_ids[:j + 1])`` and the full
        decode. ``ends[-1]`` is the length of the full decode. A character ``c`` belongs to the first token
        ``i`` with ``ends[i] > c``.
    """
    ids = _as_id_list(token_ids)
    det = _Detokenizer(tokenizer)
    text, ends, first_untrusted = _checked_ends(det, ids, None)
    _recompute_ends(det, ids, text, ends, first_untrusted, len(ids))
    return ends


def _recompute_ends(
    det: _Detokenizer, ids: list[int], text: str, ends: list[int], first_untrusted: int, stop: int
) -> None:
    """Recompute in place, by prefix decodes, the ends of the tokens before ``stop`` that need it.

    Those are the tokens from ``first_untrusted`` on, and the tokens whose next undecoded character is U+FFFD:
    a prefix decode that ends in an incomplete character shows U+FFFD, which then matches a U+FFFD of the full
    text (invalid bytes, or a character cut at the end of a truncated completion), whereas the incremental
    decode waits for a complete character. Both are rare; each costs one decode of a prefix.
    """
    if first_untrusted >= stop and REPLACEMENT_CHAR not in text:
        return
    complete = 0
    for i in range(stop):
        if i >= first_untrusted or (ends[i] < len(text) and text[ends[i]] == REPLACEMENT_CHAR):
            ends[i] = max(complete, _common_prefix_len(det.full_texts([ids[: i + 1]])[0], text))
        else:
            ends[i] = max(complete, ends[i])
        complete = ends[i]


def _map_steps(
    det: _Detokenizer, ids: list[int], separator: str, text: str | None
) -> tuple[list[str], list[int]]:
    text, ends, first_untrusted = _checked_ends(det, ids, text)
    _recompute_ends(det, ids, text, ends, first_untrusted, first_untrusted)
    steps, char_ends = split_steps(text, separator)
    n = len(ids)
    trusted_chars = ends[first_untrusted - 1] if first_untrusted > 0 else 0
    token_ends: list[int] = []
    lowest = first_untrusted + 1
    for c in char_ends[:-1]:
        if c < trusted_chars or first_untrusted == n:
            token_ends.append(bisect_left(ends, c + 1))
            continue
        lo, hi = lowest, n
        target = text[: c + 1]
        while lo < hi:
            mid = (lo + hi) // 2
            if _covers(det, ids, mid, target):
                hi = mid
            else:
                lo = mid + 1
        lowest = lo
        token_ends.append(lo - 1)
    token_ends.append(max(n - 1, 0))
    return steps, token_ends


def step_token_ends(
    tokenizer, token_ids: Sequence[int], separator: str = "\n\n", text: str | None = None
) -> tuple[list[str], list[int]]:
    """Split one completion into steps and find the token at which each step ends.

    Args:
        tokenizer: a Hugging Face tokenizer (fast or slow) or any object with ``decode``/``batch_decode``.
        token_ids: T completion token ids, no padding (EOS included if generated; a 1-D tensor is accepted).
        separator: the step separator (``GRPOPlusConfig.step_separator``).
        text: the completion already decoded with ``skip_special_tokens=True``, if at hand. It is checked for
            free against the incremental decode; only if they differ is the full decode computed, and a ``text``
            that is not the decode raises ``ValueError``.

    Returns:
        ``(steps, token_ends)``: the S ≥ 1 steps of :func:`split_steps` and S token indices, non-decreasing
        (two steps ending inside one token share it), the last one ``T - 1`` (``0`` if T = 0).
    """
    return _map_steps(_Detokenizer(tokenizer), _as_id_list(token_ids), separator, text)


def split_completions(
    tokenizer, completion_ids: Sequence[Sequence[int]], separator: str = "\n\n", texts: list[str] | None = None
) -> tuple[list[list[str]], list[list[int]]]:
    """:func:`step_token_ends` for a batch of N completions, sharing one decode cache.

    Args:
        tokenizer: a Hugging Face tokenizer (fast or slow) or any object with ``decode``/``batch_decode``.
        completion_ids: N lists of completion token ids, no padding (rows of a tensor are accepted).
        separator: the step separator.
        texts: the N completions decoded with ``skip_special_tokens=True`` (TRL's ``completions``), if at hand.

    Returns:
        ``(steps, token_ends)``: N lists of S_i step texts and N lists of S_i token indices, as
        :func:`step_token_ends` returns for each completion.
    """
    ids_list = [_as_id_list(ids) for ids in completion_ids]
    if texts is not None and len(texts) != len(ids_list):
        raise ValueError(f"texts has {len(texts)} entries but completion_ids has {len(ids_list)}")
    det = _Detokenizer(tokenizer)
    det.cache(set().union(*ids_list))
    all_steps: list[list[str]] = []
    all_ends: list[list[int]] = []
    for j, ids in enumerate(ids_list):
        steps, ends = _map_steps(det, ids, separator, None if texts is None else texts[j])
        all_steps.append(steps)
        all_ends.append(ends)
    return all_steps, all_ends


def turn_spans(tool_mask: Sequence[int]) -> list[tuple[int, int]]:
    """The assistant turns of a multi-turn completion: maximal runs of ``tool_mask == 1``.

    TRL's tool loop appends the tool responses (and the chat-template tokens around them) to the completion with
    ``tool_mask`` 0; the model's own tokens have 1. Each run of 1s is one assistant turn, a process step.

    Args:
        tool_mask: T values in {0, 1} (a 1-D tensor or list), the completion's tool mask without padding.

    Returns:
        ``[(start, end), ...]``: inclusive token ranges of the turns, in order (empty if every token is a tool token).
    """
    spans: list[tuple[int, int]] = []
    start = None
    values = [int(v) for v in tool_mask]
    for t, value in enumerate(values):
        if value and start is None:
            start = t
        elif not value and start is not None:
            spans.append((start, t - 1))
            start = None
    if start is not None:
        spans.append((start, len(values) - 1))
    return spans


def split_turns(
    tokenizer, completion_ids: Sequence[Sequence[int]], tool_masks: Sequence[Sequence[int]]
) -> tuple[list[list[str]], list[list[int]]]:
    """Steps of multi-turn (tool) completions: one step per assistant turn, ending at the turn's last token.

    Args:
        tokenizer: the policy's tokenizer (turn texts are decoded with ``skip_special_tokens=True``).
        completion_ids: N lists of completion token ids, no padding.
        tool_masks: N lists (same lengths) of TRL's tool mask: 1 for the model's tokens, 0 for tool responses.

    Returns:
        ``(steps, token_ends)``: N lists of the turns' texts and N lists of their last token indices (increasing).
        A completion without any model token is one empty step ending at its last token (0 if empty).
    """
    all_steps: list[list[str]] = []
    all_ends: list[list[int]] = []
    for i, (ids, mask) in enumerate(zip(completion_ids, tool_masks)):
        ids = _as_id_list(ids)
        if len(mask) != len(ids):
            raise ValueError(f"sample {i}: tool mask has {len(mask)} entries but the completion has {len(ids)} tokens")
        spans = turn_spans(mask)
        if not spans:
            all_steps.append([""])
            all_ends.append([max(len(ids) - 1, 0)])
            continue
        all_steps.append(tokenizer.batch_decode([ids[a : b + 1] for a, b in spans], skip_special_tokens=True))
        all_ends.append([b for _, b in spans])
    return all_steps, all_ends
