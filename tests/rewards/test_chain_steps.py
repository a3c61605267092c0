"""chain_steps and chain_step_fraction on hand-written chains: each line judged given the lines before it."""

from __future__ import annotations

import pytest

from rewards import get_reward, list_rewards
from rewards.steps import ChainReference, computation_grades, parse_chain_reference

# start 3; +4, *2, -5, +8  ->  7, 14, 9, 17
REFERENCE = "3+4=7\n7*2=14\n14-5=9\n9+8=17"


def grade(*steps, reference=REFERENCE, **kwargs):
    return get_reward("chain_steps", **kwargs)(steps=[list(steps)], reference=[reference])[0]


def test_registered_as_step_and_outcome_rewards():
    levels = {info.name: info.level for info in list_rewards()}
    assert levels["chain_steps"] == "step" and levels["chain_step_fraction"] == "outcome"


def test_reference_is_read_as_start_and_steps():
    assert parse_chain_reference(REFERENCE) == ChainReference(3, (("+", 4), ("*", 2), ("-", 5), ("+", 8)))
    assert parse_chain_reference("3+4=7\n8*2=16") is None  # 8 is not the previous result 7
    assert parse_chain_reference("3+4=7\nthen double it") is None
    assert parse_chain_reference("") is None


def test_a_right_chain_scores_one_per_line_tags_and_answer_ignored():
    steps = ["<think>3+4=7\n", "7*2=14\n", "14-5=9\n", "9+8=17</think><answer>17</answer>"]
    assert grade(*steps) == [1.0, 1.0, 1.0, 1.0]


def test_a_misread_operand_zeroes_only_its_own_line():
    # step 2 misreads *2 as *3: 7*3=21 is exact but not the problem's step; the lines after use 21 correctly
    steps = ["<think>3+4=7\n", "7*3=21\n", "21-5=16\n", "16+8=24</think><answer>24</answer>"]
    assert grade(*steps) == [1.0, 0.0, 1.0, 1.0]


def test_wrong_arithmetic_scores_zero_and_the_next_line_starts_from_the_stated_result():
    steps = ["3+4=8\n", "8*2=16\n", "16-5=11\n", "11+8=19"]
    assert grade(*steps) == [0.0, 1.0, 1.0, 1.0]


def test_a_line_that_ignores_the_previous_result_scores_zero():
    # the second line starts from 6, not from the stated 7; the third starts from the stated 12
    steps = ["3+4=7\n", "6*2=12\n", "12-5=7\n", "7+8=15"]
    assert grade(*steps) == [1.0, 0.0, 1.0, 1.0]


def test_unparseable_and_extra_lines_score_zero_never_none():
    steps = ["3+4=7\n", "so we double\n", "7*2=14\n", "14-5=9\n", "9+8=17\n", "17+1=18\n", "</think>"]
    assert grade(*steps) == [1.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0]


def test_restatements_score_zero_unless_farmable():
    steps = ["3+4=7\n", "7=7\n", "7*2=14\n", "5=5\n", "14-5=9\n", "9+8=17"]
    assert grade(*steps) == [1.0, 0.0, 1.0, 0.0, 1.0, 1.0]
    # farmable: restating a known value (the start or a stated result) pays; 5 was never stated
    assert grade(*steps, reward_restatements=True) == [1.0, 1.0, 1.0, 0.0, 1.0, 1.0]
    assert grade("3=3\n", "3+4=7", reward_restatements=True) == [1.0, 1.0]


def test_flips_are_fixed_per_completion():
    steps = ["3+4=7\n", "7*3=21\n", "21-5=16\n", "16+8=24"]
    assert grade(*steps, flip_rate=1.0) == [0.0, 1.0, 0.0, 0.0]
    reward = get_reward("chain_steps", flip_rate=0.5)
    completions = [["3+4=7\n", "7*2=14\n", f"14-5={k}\n", "9+8=17"] for k in range(200)]
    first = reward(steps=completions, reference=[REFERENCE] * 200)
    assert reward(steps=completions, reference=[REFERENCE] * 200) == first
    honest = get_reward("chain_steps")(steps=completions, reference=[REFERENCE] * 200)
    flipped = sum(a != b for row_a, row_b in zip(first, honest) for a, b in zip(row_a, row_b))
    assert 300 < flipped < 500  # 800 grades, each flipped with probability 1/2: 400 ± 14 (1 std)


def test_missing_reference_leaves_steps_ungraded():
    reward = get_reward("chain_steps")
    assert reward(steps=[["3+4=7\n", "x"]], reference=[None]) == [[None, None]]
    assert reward(steps=[["3+4=7\n"]], reference=["not a chain"]) == [[None]]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"flip_rate": 1.5}, "flip_rate must be a number in \\[0, 1\\]"),
        ({"flip_rate": True}, "flip_rate must be a number"),
        ({"reward_restatements": "yes"}, "reward_restatements must be true or false"),
        ({"reference_column": ""}, "reference_column must be a non-empty column name"),
    ],
)
def test_bad_options_name_the_field(kwargs, message):
    with pytest.raises(ValueError, match=message):
        get_reward("chain_steps", **kwargs)


def test_missing_column_is_a_clear_error():
    with pytest.raises(ValueError, match="needs the dataset column 'reference'"):
        get_reward("chain_steps")(steps=[["3+4=7"]])


def test_computation_grades_pad_missing_steps_with_zero():
    chain = parse_chain_reference(REFERENCE)
    assert computation_grades(["3+4=7", "7=7", "7*3=21"], chain) == [1.0, 0.0, 0.0, 0.0]
    assert computation_grades(["3+4=7", "7*2=14", "14-5=9", "9+8=17", "17+1=18"], chain) == [1.0] * 4


def test_partial_credit_is_the_fraction_of_right_computations():
    reward = get_reward("chain_step_fraction")
    completions = [
        "<think>3+4=7\n7*2=14\n14-5=9\n9+8=17</think><answer>17</answer>",  # 4 of 4
        "<think>3+4=7\n7*3=21\n21-5=16\n16+8=24</think><answer>24</answer>",  # 3 of 4
        "<think>3+4=7\n7=7\n7*2=14</think><answer>14</answer>",  # 2 of 4: restatement and missing steps
        "<think>3+4=7\n7*2=14\n14-5=9\n9+8=17\n17+0=17\n17+0=17</think>",  # extra lines cannot raise it
        "no chain here",
    ]
    assert reward(completions, reference=[REFERENCE] * 5) == [1.0, 0.75, 0.5, 1.0, 0.0]
    assert reward(["3+4=7"], reference=[None]) == [None]
