"""Tests for grpo_plus.steps: step splitting and step end -> token index.

Expected values come from hand derivations (split_steps cases) or from brute force written here: a character
scan for splitting, and decoding every prefix ``ids[:k]`` with ``skip_special_tokens=True`` for token offsets.
"""

from __future__ import annotations

import logging
import random
import re

import pytest
import torch

from grpo_plus import steps
from grpo_plus.steps import split_completions, split_steps, step_token_ends, token_char_ends

SEP = "\n\n"


# ---------------------------------------------------------------- brute-force references


def reference_split(text: str, separator: str) -> tuple[list[str], list[int]]:
    """Character scan: cut after each separator occurrence, drop blank pieces, whole text if nothing is kept."""
    pieces, start, pos = [], 0, 0
    while pos < len(text):
        if text.startswith(separator, pos):
            pos += len(separator)
            pieces.append((start, pos))
            start = pos
        else:
            pos += 1
    pieces.append((start, len(text)))
    kept = [(a, b) for a, b in pieces if text[a:b].removesuffix(separator).strip() != ""]
    if not kept:
        return [text], [len(text) - 1]
    return [text[a:b] for a, b in kept], [b - 1 for a, b in kept]


def decode(tokenizer, ids) -> str:
    return tokenizer.decode(ids, skip_special_tokens=True)


def common_prefix(a: str, b: str) -> int:
    m = 0
    while m < min(len(a), len(b)) and a[m] == b[m]:
        m += 1
    return m


def brute_char_ends(tokenizer, ids) -> list[int]:
    """ends[i] = max over j <= i of the common-prefix length of decode(ids[:j+1]) and the full decode."""
    full = decode(tokenizer, ids)
    out, best = [], 0
    for k in range(1, len(ids) + 1):
        best = max(best, common_prefix(decode(tokenizer, ids[:k]), full))
        out.append(best)
    return out


def brute_step_token_ends(tokenizer, ids, separator: str = SEP) -> tuple[list[str], list[int]]:
    """Per step end character c: token k-1 for the smallest k whose prefix decode starts with text[:c+1]."""
    full = decode(tokenizer, ids)
    step_texts, char_ends = reference_split(full, separator)
    prefixes = [decode(tokenizer, ids[:k]) for k in range(len(ids) + 1)]
    token_ends = []
    for c in char_ends[:-1]:
        k = next(k for k in range(1, len(ids) + 1) if prefixes[k].startswith(full[: c + 1]))
        token_ends.append(k - 1)
    token_ends.append(max(len(ids) - 1, 0))
    return step_texts, token_ends


# ---------------------------------------------------------------- random texts

WORDS = ["the", "answer", "is", "step", "so", "we", "get", "Let", "x", "=", "+", "(", ")", ".", ",", "\\boxed{"]
ACCENTED = list("éèüñçÉÅøß½≤∞×")
SEPARATORS = ["\n", "\n\n", "\n\n\n", "\n\n\n\n", " \n\n", "\n\n "]


def random_char(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.35:
        return chr(rng.randint(0x4E00, 0x9FFF))  # CJK: 3 UTF-8 bytes, mostly outside the tiny vocabularies
    if kind < 0.7:
        return chr(rng.choice([rng.randint(0x1F600, 0x1F64F), rng.randint(0x1F680, 0x1F6C5)]))  # emoji: 4 bytes
    return rng.choice(ACCENTED)  # 2 or 3 bytes


def random_text(rng: random.Random) -> str:
    parts = []
    if rng.random() < 0.2:
        parts.append(rng.choice(SEPARATORS))
    for _ in range(rng.randint(1, 14)):
        kind = rng.random()
        if kind < 0.4:
            parts.append(rng.choice(WORDS))
        elif kind < 0.55:
            parts.append(str(rng.randint(0, 10_000)))
        elif kind < 0.8:
            parts.append("".join(random_char(rng) for _ in range(rng.randint(1, 3))))
        else:
            parts.append(rng.choice(SEPARATORS))
        parts.append(rng.choice([" ", " ", "", "  "]))
    if rng.random() < 0.3:
        parts.append(rng.choice(SEPARATORS))
    return "".join(parts)


def id_variants(tokenizer, text: str, rng: random.Random) -> list[list[int]]:
    """Plain, EOS appended, truncated at a random token (partial characters), a special token inside."""
    ids = tokenizer.encode(text, add_special_tokens=False)
    variants = [ids, [*ids, tokenizer.eos_token_id]]
    if len(ids) > 1:
        variants.append(ids[: rng.randint(1, len(ids) - 1)])
        at = rng.randint(0, len(ids))
        variants.append([*ids[:at], tokenizer.convert_tokens_to_ids("<|im_start|>"), *ids[at:]])
    return variants


@pytest.fixture(params=["bpe_tokenizer", "sp_tokenizer"])
def tokenizer(request):
    return request.getfixturevalue(request.param)


# ---------------------------------------------------------------- split_steps by hand


@pytest.mark.parametrize(
    ("text", "separator", "expected_steps", "expected_ends"),
    [
        ("a\n\nb", SEP, ["a\n\n", "b"], [2, 3]),
        ("abc", SEP, ["abc"], [2]),  # no separator: one step
        ("\n\nab", SEP, ["ab"], [3]),  # separator at the very start: blank piece dropped, its chars go to "ab"
        ("ab\n\n", SEP, ["ab\n\n"], [3]),  # separator at the very end
        ("a\n\n\n\nb", SEP, ["a\n\n", "b"], [2, 5]),  # repeated: the blank "\n\n" counts toward "b"
        ("a\n\n\nb", SEP, ["a\n\n", "\nb"], [2, 4]),  # triple newline: "\nb" is not blank
        ("a\n\n  \n\nb\n\n\n\n", SEP, ["a\n\n", "b\n\n"], [2, 9]),  # whitespace-only piece, trailing blank
        ("Step 1: x. Step 2: y.", "Step", [" 1: x. Step", " 2: y."], [14, 20]),  # custom separator
        ("", SEP, [""], [-1]),  # empty completion: one empty step ending at char -1
        ("\n\n\n\n", SEP, ["\n\n\n\n"], [3]),  # only separators: the whole text is one step
        (" \n ", SEP, [" \n "], [2]),  # whitespace only
    ],
)
def test_split_steps_by_hand(text, separator, expected_steps, expected_ends):
    assert split_steps(text, separator) == (expected_steps, expected_ends)


@pytest.mark.parametrize("separator", ["", None])
def test_split_steps_rejects_empty_separator(separator):
    with pytest.raises(ValueError, match="non-empty"):
        split_steps("a\n\nb", separator)


def test_split_steps_matches_character_scan():
    rng = random.Random(1)
    for _ in range(300):
        text = random_text(rng)
        for separator in (SEP, "\n", "Step", "é"):
            got_steps, got_ends = split_steps(text, separator)
            assert (got_steps, got_ends) == reference_split(text, separator)
            for step, end in zip(got_steps, got_ends, strict=True):
                assert text[end - len(step) + 1 : end + 1] == step


# ---------------------------------------------------------------- token offsets against brute force


def test_token_char_ends_match_prefix_decodes(tokenizer):
    rng = random.Random(2)
    for _ in range(150):
        for ids in id_variants(tokenizer, random_text(rng), rng):
            assert token_char_ends(tokenizer, ids) == brute_char_ends(tokenizer, ids), (
                tokenizer.convert_ids_to_tokens(ids)
            )


def test_step_token_ends_match_prefix_decodes(tokenizer):
    rng = random.Random(3)
    for _ in range(250):
        for ids in id_variants(tokenizer, random_text(rng), rng):
            expected = brute_step_token_ends(tokenizer, ids)
            assert step_token_ends(tokenizer, ids) == expected, tokenizer.convert_ids_to_tokens(ids)
            assert step_token_ends(tokenizer, ids, text=decode(tokenizer, ids)) == expected


def test_custom_separator_matches_prefix_decodes(tokenizer):
    rng = random.Random(4)
    for _ in range(60):
        text = random_text(rng).replace("step", "Step")
        ids = tokenizer.encode(text, add_special_tokens=False)
        assert step_token_ends(tokenizer, ids, "Step") == brute_step_token_ends(tokenizer, ids, "Step")


def test_last_step_ends_on_eos(tokenizer):
    ids = tokenizer.encode("12 + 7 = 19\n\nThe answer is 19.", add_special_tokens=False)
    eos = tokenizer.eos_token_id
    assert decode(tokenizer, [eos]) == ""
    step_texts, ends = step_token_ends(tokenizer, [*ids, eos])
    assert step_texts == ["12 + 7 = 19\n\n", "The answer is 19."]
    assert ends[-1] == len(ids)  # the EOS index, although EOS decodes to ""
    assert ends[0] == brute_step_token_ends(tokenizer, ids)[1][0]


# ---------------------------------------------------------------- hand-derived cases on fixed vocabularies
# The fixtures' vocabularies are trained and may differ between builds, so hand-derived token layouts use
# tokenizers with an explicit vocabulary: every multi-character token below is listed in ``pieces``.


def _chain(piece: str) -> tuple[list[str], list[tuple[str, str]]]:
    """Vocabulary entries and merges that build ``piece`` left to right."""
    entries = [*piece, *(piece[: i + 1] for i in range(1, len(piece)))]
    return entries, [(piece[:i], piece[i]) for i in range(1, len(piece))]


def fixed_tokenizer(style: str, pieces: list[str]):
    """A byte-level BPE (``style="bpe"``) or SentencePiece-style (``"sp"``) tokenizer with a fixed vocabulary."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    specials = ["<unk>", "<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    if style == "bpe":
        base = sorted(pre_tokenizers.ByteLevel.alphabet())
    else:
        base = ["▁", *"abcdefghijklmnopqrstuvwxyz0123456789.", *(f"<0x{b:02X}>" for b in range(256))]
    vocab = {token: i for i, token in enumerate([*specials, *base])}
    merges = []
    for piece in pieces:
        entries, piece_merges = _chain(piece)
        for entry in entries:
            vocab.setdefault(entry, len(vocab))
        merges.extend(m for m in piece_merges if m not in merges)
    if style == "bpe":
        tok = Tokenizer(models.BPE(vocab=vocab, merges=merges))
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = decoders.ByteLevel()
    else:
        tok = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token="<unk>", byte_fallback=True, fuse_unk=True))
        tok.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
        tok.pre_tokenizer = pre_tokenizers.Split("▁", behavior="merged_with_next")
        tok.decoder = decoders.Sequence(
            [decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(), decoders.Strip(" ", 1, 0)]
        )
    tok.add_special_tokens(specials)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>", unk_token="<unk>"
    )


def test_bpe_space_merged_with_first_emoji_bytes():
    # 🙂 = F0 9F 99 82. "ĠðŁ" holds the space and the first two bytes: the space is complete after it, the
    # emoji only after "Ĥ" (its last byte). The GPT-2 pre-tokenizer splits "\n\n" before a letter in two.
    tok = fixed_tokenizer("bpe", ["ĠðŁ"])
    ids = tok.encode("a 🙂\n\nb", add_special_tokens=False)
    assert tok.convert_ids_to_tokens(ids) == ["a", "ĠðŁ", "Ļ", "Ĥ", "Ċ", "Ċ", "b"]
    assert token_char_ends(tok, ids) == [1, 2, 2, 3, 4, 5, 6]
    assert step_token_ends(tok, ids) == (["a 🙂\n\n", "b"], [5, 6])
    assert step_token_ends(tok, [*ids, tok.eos_token_id]) == (["a 🙂\n\n", "b"], [5, 7])
    # Truncated after "ĠðŁ": the decode is "a \ufffd" and the prefix decode of both tokens already shows it.
    assert decode(tok, ids[:2]) == "a \ufffd"
    assert token_char_ends(tok, ids[:2]) == [1, 3]
    assert step_token_ends(tok, ids[:2]) == (["a \ufffd"], [1])


def test_bpe_cjk_split_byte_by_byte():
    # No merges: 你 = E4 BD A0, 好 = E5 A5 BD, 世 = E4 B8 96, 界 = E7 95 8C, one token per byte.
    tok = fixed_tokenizer("bpe", [])
    ids = tok.encode("你好\n\n世界", add_special_tokens=False)
    assert len(ids) == 14
    assert token_char_ends(tok, ids) == [0, 0, 1, 1, 1, 2, 3, 4, 4, 4, 5, 5, 5, 6]
    assert step_token_ends(tok, ids) == (["你好\n\n", "世界"], [7, 13])


def test_steps_ending_in_one_token_share_it():
    tok = fixed_tokenizer("bpe", ["axbx"])
    ids = tok.encode("axbxc", add_special_tokens=False)
    assert tok.convert_ids_to_tokens(ids) == ["axbx", "c"]
    assert step_token_ends(tok, ids, "x") == (["ax", "bx", "c"], [0, 0, 1])


def test_sp_separator_merged_with_text():
    tok = fixed_tokenizer("sp", ["▁step.\n\n"])
    ids = tok.encode("next step.\n\nok", add_special_tokens=False)
    assert tok.convert_ids_to_tokens(ids) == ["▁", "n", "e", "x", "t", "▁step.\n\n", "o", "k"]
    assert token_char_ends(tok, ids) == [0, 1, 2, 3, 4, 12, 13, 14]
    assert step_token_ends(tok, ids) == (["next step.\n\n", "ok"], [5, 7])


def test_sp_byte_fallback_newlines_and_emoji():
    # Llama-2 style: "\n" is the byte token <0x0A>, so the separator sits in one byte run with the emoji.
    # The leading "▁" decodes to "" (Strip decoder); while the emoji is incomplete the run decodes to U+FFFDs.
    tok = fixed_tokenizer("sp", [])
    ids = tok.encode("a 🙂\n\nb", add_special_tokens=False)
    tokens = ["▁", "a", "▁", "<0xF0>", "<0x9F>", "<0x99>", "<0x82>", "<0x0A>", "<0x0A>", "b"]
    assert tok.convert_ids_to_tokens(ids) == tokens
    assert token_char_ends(tok, ids) == [0, 1, 2, 2, 2, 2, 3, 4, 5, 6]
    assert step_token_ends(tok, ids) == (["a 🙂\n\n", "b"], [8, 9])
    # Truncated inside the next emoji: the whole byte run, newlines included, decodes to U+FFFD (7 bytes).
    cut = [*ids[:-1], tok.convert_tokens_to_ids("<0xF0>")]
    assert decode(tok, cut) == "a " + "\ufffd" * 7
    assert step_token_ends(tok, cut) == (["a " + "\ufffd" * 7], [9])
    assert token_char_ends(tok, cut) == brute_char_ends(tok, cut)


# ---------------------------------------------------------------- edge cases


def test_empty_completion(tokenizer):
    assert step_token_ends(tokenizer, []) == ([""], [0])
    assert step_token_ends(tokenizer, [tokenizer.eos_token_id]) == ([""], [0])
    assert token_char_ends(tokenizer, []) == []
    assert split_completions(tokenizer, [[], [tokenizer.eos_token_id, tokenizer.eos_token_id]]) == (
        [[""], [""]],
        [[0], [1]],
    )


def test_completion_of_only_separators(tokenizer):
    ids = tokenizer.encode("\n\n\n\n\n\n", add_special_tokens=False)
    assert step_token_ends(tokenizer, ids) == (["\n\n\n\n\n\n"], [len(ids) - 1])
    assert step_token_ends(tokenizer, [*ids, tokenizer.eos_token_id]) == (["\n\n\n\n\n\n"], [len(ids)])


def test_text_must_be_the_decode(bpe_tokenizer):
    ids = bpe_tokenizer.encode("a\n\nb", add_special_tokens=False)
    with pytest.raises(ValueError, match="skip_special_tokens=True"):
        step_token_ends(bpe_tokenizer, ids, text="a\n\nc")


def test_split_completions_matches_single_calls(tokenizer):
    rng = random.Random(5)
    batch = [tokenizer.encode(random_text(rng), add_special_tokens=False) for _ in range(12)]
    batch[3] = [*batch[3], tokenizer.eos_token_id]
    expected = tuple(map(list, zip(*(step_token_ends(tokenizer, ids) for ids in batch), strict=True)))
    assert split_completions(tokenizer, batch) == expected
    texts = tokenizer.batch_decode(batch, skip_special_tokens=True)
    assert split_completions(tokenizer, batch, texts=texts) == expected
    assert split_completions(tokenizer, [torch.tensor(ids, dtype=torch.long) for ids in batch]) == expected
    with pytest.raises(ValueError, match="texts has 1 entries"):
        split_completions(tokenizer, batch, texts=texts[:1])


def test_fast_path_without_warnings(tokenizer, caplog, monkeypatch):
    """Complete texts never leave the incremental path; truncated ones recompute their tail without a warning."""
    monkeypatch.setattr(steps, "_warned", set())
    rng = random.Random(6)
    encoded = [tokenizer.encode(random_text(rng), add_special_tokens=False) for _ in range(60)]
    with caplog.at_level(logging.DEBUG, logger="grpo_plus.steps"):
        split_completions(tokenizer, [[*ids, tokenizer.eos_token_id] for ids in encoded])
    assert caplog.records == []
    truncated = [ids[: rng.randint(1, len(ids))] for ids in encoded if ids]
    with caplog.at_level(logging.WARNING, logger="grpo_plus.steps"):
        split_completions(tokenizer, truncated)
    assert caplog.records == []


# ---------------------------------------------------------------- a context-dependent decoder: the fallback


class SpaceCollapsingTokenizer:
    """Character-level tokenizer whose decode collapses runs of spaces (a context-dependent clean-up)."""

    eos_token_id = 0

    def encode(self, text, add_special_tokens=False):
        return [ord(c) for c in text]

    def decode(self, ids, skip_special_tokens=False):
        return re.sub(" +", " ", "".join(chr(i) for i in ids if i != self.eos_token_id))

    def batch_decode(self, sequences, skip_special_tokens=False):
        return [self.decode(ids, skip_special_tokens) for ids in sequences]


def test_context_dependent_decoder_falls_back_to_exact_offsets(caplog, monkeypatch):
    monkeypatch.setattr(steps, "_warned", set())
    tok = SpaceCollapsingTokenizer()
    ids = tok.encode("a  b\n\n   c d\n\ne   ") + [0]
    # Prefix decodes grow by one character per token except on the 2nd space of "  ", the 2nd and 3rd of "   ",
    # and the 2nd and 3rd trailing spaces and the EOS. Step ends: chars 4 and 10 are the "\n" at ids 5 and 13.
    assert decode(tok, ids) == "a b\n\n c d\n\ne "
    with caplog.at_level(logging.WARNING, logger="grpo_plus.steps"):
        assert token_char_ends(tok, ids) == [1, 2, 2, 3, 4, 5, 6, 6, 6, 7, 8, 9, 10, 11, 12, 13, 13, 13, 13]
        assert step_token_ends(tok, ids) == (["a b\n\n", " c d\n\n", "e "], [5, 13, 18])
        step_token_ends(tok, ids)
    assert len(caplog.records) == 1 and "disagrees with the full decode" in caplog.records[0].getMessage()
    rng = random.Random(7)
    for _ in range(100):
        text = random_text(rng)
        ids = tok.encode(text)
        assert token_char_ends(tok, ids) == brute_char_ends(tok, ids)
        assert step_token_ends(tok, ids) == brute_step_token_ends(tok, ids)


class DecodeOnly:
    """A tokenizer seen only through ``decode``/``batch_decode`` (no Rust backend, no ``encode``)."""

    def __init__(self, tokenizer):
        self.decode = tokenizer.decode
        self.batch_decode = tokenizer.batch_decode


def test_tokenizer_without_backend_or_encode(tokenizer):
    """Without an anchor every token goes through the decoding window; results are the same."""
    plain = DecodeOnly(tokenizer)
    rng = random.Random(8)
    for _ in range(30):
        for ids in id_variants(tokenizer, random_text(rng), rng):
            assert token_char_ends(plain, ids) == brute_char_ends(tokenizer, ids)
            assert step_token_ends(plain, ids) == brute_step_token_ends(tokenizer, ids)
