"""format / format_lenient / tag_count / soft_overlong / repetition on hand-written cases."""

from __future__ import annotations

import pytest

from rewards import get_reward

GOOD = "<think>\n3 * 4 = 12\n</think>\n<answer>12</answer>"

# (completion, strict, lenient)
FORMAT_CASES = [
    (GOOD, 1.0, 1.0),
    ("  <think>x</think><answer>12</answer>\n", 1.0, 1.0),
    ("<think></think><answer>12</answer>", 1.0, 1.0),  # empty thinking is allowed
    ("<think>x</think><answer>  </answer>", 0.0, 0.0),  # empty answer is not
    ("Sure! <think>x</think><answer>12</answer>", 0.0, 1.0),  # text before
    ("<think>x</think><answer>12</answer> Done.", 0.0, 1.0),  # text after
    ("<think>x</think> and so <answer>12</answer>", 0.0, 1.0),  # text between
    ("x</think><answer>12</answer>", 0.0, 1.0),  # opening think prefilled by the chat template
    ("<think>x</think>", 0.0, 0.0),  # no answer
    ("<answer>12</answer>", 0.0, 0.0),  # no thinking
    ("<answer>12</answer><think>x</think>", 0.0, 0.0),  # wrong order
    ("<think>a</think><think>b</think><answer>12</answer>", 0.0, 0.0),  # repeated tag
    ("<think>x</think><answer>1</answer><answer>2</answer>", 0.0, 0.0),
    ("<think>x<answer>12</answer></think>", 0.0, 0.0),  # answer inside thinking
    ("</think><think>x<answer>12</answer>", 0.0, 0.0),
    ("plain text", 0.0, 0.0),
]


@pytest.mark.parametrize("completion,strict,lenient", FORMAT_CASES)
def test_format_strict_and_lenient(completion, strict, lenient):
    assert get_reward("format")([completion]) == [strict]
    assert get_reward("format", strict=False)([completion]) == [lenient]
    assert get_reward("format_lenient")([completion]) == [lenient]


def test_format_conversational_and_batch():
    chat = [[{"role": "assistant", "content": c}] for c, _, _ in FORMAT_CASES]
    assert get_reward("format")(chat) == [s for _, s, _ in FORMAT_CASES]
    assert get_reward("format_lenient")(chat, prompts=["p"] * len(chat), trainer_state=None) == [
        lenient for _, _, lenient in FORMAT_CASES
    ]
    assert get_reward("format")([]) == []


def test_format_custom_tags():
    reward = get_reward("format", think_tag="reasoning", answer_tag="final")
    assert reward(["<reasoning>r</reasoning><final>1</final>", GOOD]) == [1.0, 0.0]
    lenient = get_reward("format_lenient", think_tag="reasoning", answer_tag="final")
    assert lenient.__name__ == "format_lenient"
    assert lenient(["ok </reasoning> <final>1</final>"]) == [1.0]
    with pytest.raises(ValueError, match=r"reward 'format': think_tag='<think>' is not a valid tag name"):
        get_reward("format", think_tag="<think>")


def test_format_error_names_reward_and_sample():
    with pytest.raises(ValueError, match=r"reward 'format', sample 1: a completion must be a str"):
        get_reward("format")([GOOD, None])


def test_tag_count():
    reward = get_reward("tag_count")
    completions = [
        GOOD,  # all four once: 1
        "<think>x</think>",  # two: 0.5
        "<think>a</think><think>b</think><answer>1</answer>",  # think tags twice (0 each), answer tags once: 0.5
        "nothing",
        "<answer>1",  # one
    ]
    assert reward(completions) == [1.0, 0.5, 0.5, 0.0, 0.25]
    chat = [[{"role": "assistant", "content": c}] for c in completions]
    assert reward(chat) == [1.0, 0.5, 0.5, 0.0, 0.25]
    no_open = get_reward("tag_count", count_opening_think=False)
    assert no_open(["x</think><answer>1</answer>", "x</think>"]) == [1.0, pytest.approx(1 / 3)]
    assert get_reward("tag_count", think_tag="r", answer_tag="a")(["<r>x</r><a>1</a>"]) == [1.0]


def _dapo(length: int, l_max: int, cache: int) -> float:
    """DAPO Eq. 13, written out independently."""
    if length <= l_max - cache:
        return 0.0
    if length <= l_max:
        return ((l_max - cache) - length) / cache
    return -1.0


def test_soft_overlong():
    reward = get_reward("soft_overlong", max_completion_length=100, soft_punish_cache=20)
    lengths = [0, 50, 80, 81, 90, 99, 100, 101, 500]
    got = reward(["x"] * len(lengths), completion_ids=[[7] * n for n in lengths])
    assert got == [_dapo(n, 100, 20) for n in lengths]
    assert got[4] == -0.5 and got[6] == -1.0 and got[7] == -1.0  # by hand: (80 - 90) / 20, (80 - 100) / 20, > L_max
    default_cache = get_reward("soft_overlong", max_completion_length=100)
    assert default_cache.soft_punish_cache == 25
    with pytest.raises(ValueError, match="reward 'soft_overlong': needs completion_ids"):
        reward(["x"])
    with pytest.raises(ValueError, match="got 1 completion_ids for 2 completions"):
        reward(["x", "y"], completion_ids=[[1]])
    with pytest.raises(ValueError, match="soft_punish_cache must be an int in"):
        get_reward("soft_overlong", max_completion_length=10, soft_punish_cache=11)


def test_repetition_tokens_by_hand():
    reward = get_reward("repetition", ngram_size=2, max_penalty=-1.0)
    ids = [
        [1, 2, 3, 4],  # bigrams all distinct: 0
        [5, 5, 5, 5, 5],  # 4 bigrams, 1 distinct: -(1 - 1/4) = -0.75
        [1, 2, 1, 2, 1, 2],  # 5 bigrams (12,21,12,21,12), 2 distinct: -(1 - 2/5) = -0.6
        [9],  # shorter than n: 0
        [],
    ]
    got = reward(["."] * len(ids), completion_ids=ids)
    assert got == pytest.approx([0.0, -0.75, -0.6, 0.0, 0.0])
    half = get_reward("repetition", ngram_size=2, max_penalty=-0.5)
    assert half(["."], completion_ids=[[5, 5, 5, 5, 5]]) == pytest.approx([-0.375])
    with pytest.raises(ValueError, match="unit='tokens' needs completion_ids"):
        reward(["a a a"])


def test_repetition_words():
    reward = get_reward("repetition", ngram_size=3, unit="words")
    text = "the cat sat the cat sat"  # trigrams: (the cat sat)(cat sat the)(sat the cat)(the cat sat): 3 distinct of 4
    assert reward([text, "one two three four", [{"role": "assistant", "content": text}]]) == pytest.approx(
        [-0.25, 0.0, -0.25]
    )
    with pytest.raises(ValueError, match=r"reward 'repetition': unit='chars' is not valid; choose one of"):
        get_reward("repetition", unit="chars")
    with pytest.raises(ValueError, match="max_penalty must be <= 0"):
        get_reward("repetition", max_penalty=0.5)
