"""accuracy with answer_format="auto": one test per extraction rule, the one-final-answer rule, the
copy-the-question guard, gold forms, answer_format="boxed" strictness. Every expected score is the mathematical
truth of the hand-written case."""

from __future__ import annotations

import time

import pytest

from rewards import get_reward
from rewards.accuracy import (
    BOXED,
    NO_ANSWER,
    extract_answer,
    final_boxes,
    is_unevaluated_expression,
    rule_grade,
)

ADVERSARIAL = r"$\boxed{9^{9^{9^{9^{9}}}}}$"


@pytest.fixture(scope="module")
def accuracy():
    reward = get_reward("accuracy", timeout=30.0, num_workers=2)
    reward.pool.warm_up()
    return reward


def grade_all(reward, cases):
    """``cases``: (gold, completion, expected); returns the mismatches."""
    got = reward([c for _, c, _ in cases], solution=[g for g, _, _ in cases])
    return [(g, c, e, r) for (g, c, e), r in zip(cases, got) if r != e]


def auto(text, tag="answer"):
    return extract_answer(text, tag, "auto")


# ------------------------------------------------------------------------------------------ a. answer tag


def test_rule_a_last_answer_tag_is_the_region(accuracy):
    cases = [
        ("13", "<think>7 + 6 = 13</think> <answer>13</answer>", 1.0),
        ("13", "<think>the answer is 13</think> <answer>12</answer>", 0.0),
        ("13", "<answer>12</answer> then <answer>13</answer>", 1.0),
        ("13", "<answer>13</answer> then <answer>12</answer>", 0.0),
    ]
    assert grade_all(accuracy, cases) == []
    assert auto("<final>4</final> The answer is 5.", tag="final") == ("4", BOXED)
    assert auto("<final>4</final> The answer is 5.", tag=None) == ("5", BOXED)


# ------------------------------------------------------------------------------------- b. final-answer boxes


def test_rule_b_boxes_of_the_final_answer():
    assert final_boxes(r"\boxed{1}, \boxed{2}") == ["1", "2"]
    assert final_boxes(r"$\boxed{1}$ and $\boxed{2}$") == ["1", "2"]
    assert final_boxes(r"\boxed{3} or \boxed{5}") == ["3", "5"]
    assert final_boxes(r"Step 1 gives \boxed{3}. Checking again, the result is \boxed{7}") == ["7"]
    assert final_boxes("no box") == []
    assert auto(r"<answer>\boxed{4}</answer> \boxed{5}") == ("4", BOXED)


def test_rule_b_multi_box_is_one_answer(accuracy):
    cases = [
        (r"\{1, 2\}", r"The roots are $\boxed{1}, \boxed{2}$.", 1.0),
        ("{1, 2}", r"\boxed{1}, \boxed{2}", 1.0),
        (r"\{1, 2\}", r"\boxed{1}, \boxed{3}", 0.0),
        ("1", r"\boxed{1}, \boxed{2}", 0.0),
        ("7", r"First \boxed{3}, but that is wrong. Correcting the sign, we get \boxed{7}", 1.0),
        ("3", r"First \boxed{3}, but that is wrong. Correcting the sign, we get \boxed{7}", 0.0),
    ]
    assert grade_all(accuracy, cases) == []


# --------------------------------------------------------------------------------- c. short tag content


def test_rule_c_short_tag_content_is_the_answer(accuracy):
    assert auto("<answer> x=4 </answer>") == ("x=4", BOXED)
    cases = [
        ("4", "<answer> x=4 </answer>", 1.0),
        (r"\frac{1}{2}", r"<answer>\frac{2}{4}</answer>", 1.0),
        ("4", "<answer> x=5 </answer>", 0.0),
        ("12", "<answer>The answer is 12 apples.</answer>", 1.0),
        ("12", "<answer>I counted 13 apples.</answer>", 0.0),
    ]
    assert grade_all(accuracy, cases) == []


# ---------------------------------------------------------------------------------- d. answer phrases

PHRASES = [
    ("The final answer is 18.", "18"),
    ("So the answer is 18.", "18"),
    ("Therefore, the answer (arabic numerals) is 18.", "18"),
    ("Answer: 18", "18"),
    ("**Answer:** 18 dollars", "18"),
    ("**Answer: 18**", "18"),
    ("She makes 9 * 2 = 18 dollars.\nA: 18", "18"),
    ("Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 eggs.\n#### 18", "18"),
    ("所以答案是 18。", "18"),
    ("答：18", "18"),
    ("The answer is: \\frac{1}{2}", "\\frac{1}{2}"),
    ("The answer is $\\frac{1}{2}$.", "\\frac{1}{2}"),
    ("The answer is x = 4.", "x = 4"),
    ("The answer is 1,300.", "1300"),
    ("The answer is 25%.", "25\\%"),
    ("The answer is _____.\n\n$18", "18"),
    ("The answer is\n\n$$\nx = 18\n$$", "x = 18"),
]


@pytest.mark.parametrize("text,answer", PHRASES)
def test_rule_d_answer_phrases_are_extracted(text, answer):
    assert auto(text) == (answer, BOXED)


def test_rule_d_answer_phrases_grade_right_and_wrong(accuracy):
    gsm_gold = "Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs a day.\nShe makes 9 * 2 = $<<9*2=18>>18.\n#### 18"
    cases = []
    for text, _ in PHRASES[:10]:
        cases.append(("18", text, 1.0))
        cases.append(("20", text, 0.0))
    cases += [
        (gsm_gold, "She has 9 eggs left and makes 9 * 2 = $18 a day.\nA: 18", 1.0),
        (gsm_gold, "She has 13 eggs left and makes 13 * 2 = $26 a day.\nA: 26", 0.0),
        # the phrase, not the numbers after it, is the answer; the last phrase wins
        ("18", "The answer is 20. Checking: 18 eggs were sold, so the answer is 18.", 1.0),
        ("20", "The answer is 20. Checking: 18 eggs were sold, so the answer is 18.", 0.0),
        # a restatement in words gives way to the mathematical answer before it
        ("27", "Therefore, the answer (arabic numerals) is 27.\n\nThe answer (words) is twenty-seven.", 1.0),
        ("28", "Therefore, the answer (arabic numerals) is 27.\n\nThe answer (words) is twenty-seven.", 0.0),
        # dollar signs as currency are not math delimiters
        ("125", "The answer is:\nThe profit is $125 from the jewelry and $96 from the gadgets.", 1.0),
        ("96", "The answer is:\nThe profit is $125 from the jewelry and $96 from the gadgets.", 0.0),
    ]
    assert grade_all(accuracy, cases) == []


def test_rule_d_a_colon_only_anchors_at_a_line_start():
    assert auto("We use plan A: 5 boxes, so in total we need 7 boxes.") == ("7", BOXED)


# ----------------------------------------------------------------------------------- e. last expression


def test_rule_e_last_expression(accuracy):
    cases = [
        ("18", "Janet sells 9 eggs at $2 each, so she makes $18 a day.", 1.0),
        ("20", "Janet sells 9 eggs at $2 each, so she makes $18 a day.", 0.0),
        ("11", "Solving, we get $x=11$", 1.0),
        ("12", "Solving, we get $x=11$", 0.0),
        ("1/3", r"So the probability is $\frac13$.", 1.0),
        ("1/4", r"So the probability is $\frac13$.", 0.0),
        ("$[0,1)$", "The range is $[0,1)$", 1.0),
        ("$[0,1]$", "The range is $[0,1)$", 0.0),
        ("1300", "In total they raised $1,300.", 1.0),
        ("12", "I am not sure.", 0.0),
    ]
    assert grade_all(accuracy, cases) == []


def test_rule_e_skips_a_truncated_completion(accuracy):
    # the last number of a completion cut mid-sentence is an intermediate result, even when it equals the gold
    assert auto("She has 16 - 3 = 13 eggs and then she") == ("", NO_ANSWER)
    assert accuracy(["She has 16 - 3 = 13 eggs and then she"], solution=["13"]) == [0.0]
    assert accuracy(["She has 16 - 3 = 13 eggs."], solution=["13"]) == [1.0]


# ---------------------------------------------------------------------------------- one final answer


def test_listing_candidates_cannot_raise_the_reward(accuracy):
    listing = r"It is $\boxed{1}$, $\boxed{2}$, $\boxed{3}$ or $\boxed{4}$."
    cases = [
        ("2", listing, 0.0),
        ("3", listing, 0.0),
        ("18", "It could be 18 or 20.", 0.0),
        ("20", "It could be 18 or 20.", 0.0),
        ("18", "The answer is 20.\nA: 18", 1.0),
        ("20", "The answer is 20.\nA: 18", 0.0),
    ]
    assert grade_all(accuracy, cases) == []


# -------------------------------------------------------------------------------- copy-the-question guard


def test_unevaluated_expressions_are_recognised():
    for text in ("7+6", "6 \\times 2", "\\frac{26}{2}", "2^3", "\\sqrt{169}", "x = 7+6", "10 - 3", "2/4", "3 \\cdot 4"):
        assert is_unevaluated_expression(text), text
    for text in ("13", "-5", "1,300", "\\$18", "13.0", "18 \\text{ dollars}", "3/4", "\\frac{3}{4}", "\\frac14",
                 "7 + 6 = 13", "25\\%", "90^\\circ", "x", "x = 13"):
        assert not is_unevaluated_expression(text), text


def test_copy_the_question_guard(accuracy):
    cases = [
        ("13", "<answer>7+6</answer>", 0.0),
        ("13", r"\boxed{\frac{26}{2}}", 0.0),
        ("#### 12", r"The answer is $6 \times 2$.", 0.0),
        ("8", r"\boxed{2^3}", 0.0),
        ("#### 1,300", r"\boxed{1000 + 300}", 0.0),
        ("13", "<answer>x = 7 + 6</answer>", 0.0),
        # numbers, not expressions
        ("13", "<answer>13</answer>", 1.0),
        ("#### 1,300", r"\boxed{1,300}", 1.0),
        ("18", r"\boxed{\$18}", 1.0),
        ("13", r"\boxed{13.0}", 1.0),
        ("18", r"\boxed{18 \text{ dollars}}", 1.0),
        ("0.75", r"\boxed{3/4}", 1.0),
        ("13", "The answer is 7 + 6 = 13.", 1.0),
        # the guard is for plain-number golds only
        (r"\frac{13}{2}", r"\boxed{\frac{26}{4}}", 1.0),
        ("x + 1", r"\boxed{1 + x}", 1.0),
    ]
    assert grade_all(accuracy, cases) == []


def test_numbers_side_by_side_are_not_one_number(accuracy):
    # A real case (Phi-3.5-mini, GSM8K): 4 blue and 6 red boxes are left, the question asks how many in all (10);
    # math-verify reads "4 6" as 4 + 6 and accepted it.
    for text in ("4 6", "12 5", "1 2 3", "4 6 boxes", "x = 4 6"):
        assert is_unevaluated_expression(text), text
    for text in ("46", "10\\,000", "1 300", "4", "18 dollars"):
        assert not is_unevaluated_expression(text), text
    cases = [
        ("#### 10", "Final answer: #### 4 6", 0.0),
        ("#### 17", r"\boxed{12 5}", 0.0),
        ("#### 46", "#### 4 6", 0.0),
        ("#### 10", "4 + 6 = 10 boxes are left.\n#### 10", 1.0),
        ("#### 10", "#### 10 boxes", 1.0),
    ]
    assert grade_all(accuracy, cases) == []


def test_allow_expressions_turns_the_guard_off():
    lenient = get_reward("accuracy", timeout=30.0, num_workers=2, allow_expressions=True)
    assert lenient(["<answer>7+6</answer>", r"\boxed{2^3}", "<answer>7+5</answer>"], solution=["13", "8", "13"]) == [
        1.0,
        1.0,
        0.0,
    ]


def test_guard_applies_to_answers_math_verify_finds_in_prose():
    strict = get_reward("accuracy", timeout=30.0, num_workers=2, answer_format="boxed")
    completions = ["The final answer is $7+6$", "The final answer is $13$", "<answer>It is $7+6$</answer>"]
    assert strict(completions, solution=["13"] * 3) == [0.0, 1.0, 0.0]


def test_guard_decides_without_the_workers(accuracy, monkeypatch):
    def no_workers(*args, **kwargs):
        raise AssertionError("the guard should decide in the trainer process")

    monkeypatch.setattr(accuracy.pool, "run", no_workers)
    start = time.monotonic()
    assert accuracy([ADVERSARIAL, "<answer>7+6</answer>"], solution=["5", "13"]) == [0.0, 0.0]
    assert time.monotonic() - start < 1.0


# -------------------------------------------------------------------------------------------- gold forms


def test_gold_forms(accuracy):
    cases = [
        ("x = 4", r"\boxed{4}", 1.0),
        ("x = 4", r"\boxed{5}", 0.0),
        ("4", r"\boxed{x = 4}", 1.0),
        ("k=1", "The answer is $1$.", 1.0),
        # choice letters
        (r"\text{(C)}", "The answer is (C).", 1.0),
        (r"\text{(C)}", "The answer is (B).", 0.0),
        ("(C)", r"\boxed{C}", 1.0),
        ("C", r"\boxed{\text{(C)}}", 1.0),
        ("C", r"\boxed{D}", 0.0),
        # text answers: compared as words (math-verify would read odd as o*d*d and accept dod)
        (r"\text{odd}", "$odd$", 1.0),
        (r"\text{odd}", "The answer is odd.", 1.0),
        (r"\text{odd}", r"\boxed{\text{Odd}}", 1.0),
        (r"\text{odd}", r"\boxed{dod}", 0.0),
        (r"\text{odd}", r"\boxed{even}", 0.0),
        ("even", r"\boxed{\text{even}}", 1.0),
        # intervals, inequalities, percent
        (r"(-\infty, 3)", r"\boxed{(-\infty,3)}", 1.0),
        (r"(-\infty, 3)", r"\boxed{(-\infty,3]}", 0.0),
        ("x < 3", r"\boxed{x<3}", 1.0),
        ("25", "The answer is 25%.", 1.0),
        ("0.7", "The answer is 70%.", 0.0),
        # a gold without a mathematical object: not graded
        ("???", r"\boxed{5}", None),
    ]
    assert grade_all(accuracy, cases) == []


def test_rule_grade_decisions():
    assert rule_grade(r"\text{(C)}", "(C) 12", BOXED) == (1.0, "[choice]")
    assert rule_grade(r"\text{odd}", "odd", BOXED) == (1.0, "[text]")
    assert rule_grade("13", "7+6", BOXED) == (0.0, "[expression]")
    assert rule_grade("13", "7+6", BOXED, allow_expressions=True) is None
    assert rule_grade("13", "", NO_ANSWER) == (0.0, "[no answer]")
    assert rule_grade(r"\frac{1}{2}", "0.5", BOXED) is None


# ------------------------------------------------------------------------------------- answer_format


def test_answer_format_boxed_keeps_tags_and_boxes_only():
    strict = get_reward("accuracy", timeout=30.0, num_workers=2, answer_format="boxed")
    completions = ["The answer is 18.", "She makes $18 a day.\nA: 18", r"So $\boxed{18}$.", "<answer>18</answer>"]
    assert strict(completions, solution=["18"] * 4) == [0.0, 0.0, 1.0, 1.0]


def test_invalid_answer_format_and_allow_expressions():
    with pytest.raises(ValueError, match=r"answer_format='latex'.*\['auto', 'boxed'\]"):
        get_reward("accuracy", answer_format="latex")
    with pytest.raises(ValueError, match="allow_expressions"):
        get_reward("accuracy", allow_expressions="yes")


# ------------------------------------------------------------------------------------------ never hang


def test_adversarial_answer_times_out_with_defaults():
    """Against a symbolic gold the guard does not apply: math-verify runs, and the worker is killed at the timeout."""
    short = get_reward("accuracy", timeout=2.0, num_workers=2)
    short.pool.warm_up()
    start = time.monotonic()
    assert short([ADVERSARIAL, r"\boxed{x}"], solution=["x", "x"]) == [0.0, 1.0]
    assert time.monotonic() - start < 2.0 + 2.0


@pytest.mark.parametrize(
    "text",
    ["\\boxed{" * 10000, "$1 " * 30000, "the answer is " * 10000, "\nA:" * 30000, "$" * 100000, "1," * 50000],
    ids=["unclosed boxes", "dollar numbers", "many phrases", "many A:", "dollars", "commas"],
)
def test_extraction_is_fast_on_adversarial_text(text):
    """Extraction runs in the trainer process without a time limit, so it must stay near-linear in the text length
    (unclosed boxes were quadratic: 90 s for 10,000 of them). CPU seconds of this process, so a loaded machine does
    not fail it."""
    start = time.process_time()
    source, mode = extract_answer(text, "answer", "auto")
    rule_grade("13", source, mode)
    assert time.process_time() - start < 2.0
