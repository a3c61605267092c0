"""accuracy on competition-level answers (issue 18): ``# Answer`` headings, bare LaTeX last lines, several values as
one answer, an equation inside the answer phrase, escaped-currency and spacing golds, unfinished thinking. Each rule
has right and wrong cases; every expected score is the mathematical truth of the hand-written case (the ``# Answer``
completions imitate the PRM800K format, no data of it is used)."""

from __future__ import annotations

import logging
import time

import pytest

from rewards import get_reward
from rewards.accuracy import (
    BOXED,
    after_thinking,
    answer_values,
    bare_last_line,
    extract_answer,
    final_boxes,
    join_values,
    rule_grade,
    single_valued_gold,
    split_values,
    thinking_opened_by_prompt,
    unfinished_thinking,
    unicode_math,
    zero_sides,
)


@pytest.fixture(scope="module")
def accuracy():
    reward = get_reward("accuracy", timeout=30.0, num_workers=2)
    reward.pool.warm_up()
    return reward


def grade_all(reward, cases):
    """``cases``: (gold, completion, expected); returns the mismatches."""
    got = reward([c for _, c, _ in cases], solution=[g for g, _, _ in cases])
    return [(g, c, e, r) for (g, c, e), r in zip(cases, got) if r != e]


def auto(text):
    return extract_answer(text, "answer", "auto")


# ------------------------------------------------------------------------- "# Answer" headings, bare LaTeX


@pytest.mark.parametrize(
    "text, answer",
    [
        ("The ratio is 3/5, so the eighth term is computed.\n\n# Answer\n\n\\frac{243}{625}", "\\frac{243}{625}"),
        ("Solving gives x = -4 and y = 8.\n\n# Answer\n\n(-4, 8)", "(-4, 8)"),
        ("So we subtract 1.\n\n# Answer\n\n\\sqrt{3}-1", "\\sqrt{3}-1"),
        ("The slope is -2.\n\n# Answer\n\ny = -2x", "y = -2x"),
        ("Each side is 4, and 4 times 4 is 16.\n\n# Answer\n\n16\\sqrt{3}", "16\\sqrt{3}"),
        ("Steps.\n\n## Final Answer\n\n7", "7"),
        ("Steps.\n\n**Final Answer**\n\n$\\frac{1}{2}$", "\\frac{1}{2}"),
    ],
)
def test_answer_heading_is_an_anchor(text, answer):
    assert auto(text) == (answer, BOXED)


def test_answer_heading_grades_right_and_wrong(accuracy):
    cases = [
        ("\\frac{243}{625}", "The common ratio is 3/5 and 5 steps.\n\n# Answer\n\n\\frac{243}{625}", 1.0),
        ("\\frac{243}{625}", "The common ratio is 3/5 and 625 appears.\n\n# Answer\n\n\\frac{243}{125}", 0.0),
        ("(-4, 8)", "# Answer\n\n(-4, 8)", 1.0),
        ("(-4, 8)", "# Answer\n\n(8, -4)", 0.0),
        ("\\sqrt{3}-1", "# Answer\n\n\\sqrt{3}-1", 1.0),
        ("\\sqrt{3}-1", "# Answer\n\n\\sqrt{3}+1", 0.0),
        ("y = -2x", "# Answer\n\ny = -2x", 1.0),
        ("y = -2x", "# Answer\n\ny = 2x", 0.0),
        ("16\\sqrt{3}", "# Answer\n\n16\\sqrt{3}", 1.0),
        ("16\\sqrt{3}", "# Answer\n\n16\\sqrt{2}", 0.0),
    ]
    assert grade_all(accuracy, cases) == []


def test_bare_latex_last_line():
    assert bare_last_line("Multiply the terms.\n\\frac{243}{625}") == "\\frac{243}{625}"
    assert bare_last_line("So the area is\n16\\sqrt{3}.") == "16\\sqrt{3}"
    assert bare_last_line("The answer follows from \\frac{1}{2}") is None
    assert bare_last_line("\\end{align*}") is None
    assert bare_last_line("so we get 12") is None
    assert auto("Multiply the terms 243 and 625.\n\\frac{243}{625}") == ("\\frac{243}{625}", BOXED)


# a whole-line chain of equalities longer than 80 characters: 6 + 1 - 2 + 3 = 8, so the chain ends at 8/9
CHAIN = (
    "0.\\overline{6}+0.\\overline{1}-0.\\overline{2}+0.\\overline{3} = \\frac{6}{9}+\\frac{1}{9}-\\frac{2}{9}"
    "+\\frac{3}{9} = \\frac{6+1-2+3}{9} = \\frac{%s}{9}"
)


def test_bare_latex_long_chain_of_equalities_gives_its_last_side():
    assert len(CHAIN % 8) > 80
    assert bare_last_line("Add the fractions.\n" + CHAIN % 8) == "\\frac{8}{9}"
    assert auto(CHAIN % 8) == ("\\frac{8}{9}", BOXED)
    # a long bare line that is not an equation is still no answer line
    long_sum = "+".join(["\\frac{6}{9}", "\\frac{1}{9}", "\\frac{2}{9}", "\\frac{3}{9}"] * 2)
    assert len(long_sum) > 80 and bare_last_line(long_sum) is None
    # a long line in \\( \\) is delimited math, not a bare line (its last side would keep the closing \\))
    assert bare_last_line("\\( " + CHAIN % 8 + " \\)") is None


def test_bare_latex_long_chain_grades_right_and_wrong(accuracy):
    cases = [("\\frac 89", CHAIN % 8, 1.0), ("\\frac 89", CHAIN % 7, 0.0)]
    assert grade_all(accuracy, cases) == []


def test_zero_sided_equation_sides():
    assert zero_sides("2x + 3y - z - 6 = 0") == "2x + 3y - z - 6"
    assert zero_sides("$0 = 2x + 3y - z - 6$") == "2x + 3y - z - 6"
    assert zero_sides("x = 0") is None  # a value, not a normalised equation
    assert zero_sides("x + 1 \\geq 0") is None
    assert zero_sides("y = 2x + 3") is None


def test_zero_sided_equation_is_compared_side_against_side(accuracy):
    # "Enter your answer in the form Ax + By + Cz + D = 0 with A > 0 and gcd 1": negated or doubled is another form
    gold = "2x + 3y - z - 6 = 0"
    cases = [
        (gold, "The plane is found.\n\nAnswer: $2x + 3y - z - 6 = 0$", 1.0),
        (gold, "The plane is found.\n\nAnswer: $0 = 2x + 3y - z - 6$", 1.0),
        (gold, "The plane is found.\n\nAnswer: $3y + 2x - 6 - z = 0$", 1.0),
        (gold, "The plane is found.\n\nAnswer: $-2x - 3y + z + 6 = 0$", 0.0),
        (gold, "The plane is found.\n\nAnswer: $4x + 6y - 2z - 12 = 0$", 0.0),
        (gold, "The plane is found.\n\nAnswer: $2x + 3y - z + 6 = 0$", 0.0),
    ]
    assert grade_all(accuracy, cases) == []


@pytest.mark.parametrize(
    "text, answer",
    [
        ("So the asymptote is found.\n\\[\n\\text{Answer: } \\frac{4}{3}\n\\]", "\\frac{4}{3}"),  # inside \\text{}
        ("Answer: -\\frac{\\pi}{6} (without quotes)", "-\\frac{\\pi}{6}"),  # the prompt's words echoed
        ("Final Answer:\n$$ 5 \\, \\text{cm} $$", "5  \\text{cm}"),  # the comma of \\, is no list
        ("$$\n\\text{Answer:} \\quad 137\\frac{1}{2}\n$$", "137\\frac{1}{2}"),
        ("Therefore:\n\\[Answer: 5\\]", "5"),  # the display's closing delimiter
        ("Answer: $15x - 80.$", "15x - 80"),  # the sentence's period inside the math
        ("Answer: p - q", "p - q"),  # a one-letter variable is no trailing word
        ("Answer: \\cot x", "\\cot x"),
        ("Answer: 12 dollars.", "12"),
        # the last answer cut off mid-expression by the length limit: the one before it counts
        ("Answer: $\\dfrac{5}{13}$\n\nAnswer: $\\dfrac{5}{13}$\n\nAnswer: $\\dfrac{", "\\dfrac{5}{13}"),
        ("The GCF is 12, and 12 + 11 = 23.\n\nAnswer: $23", "23"),  # a lone $ before a number is not cut off
    ],
)
def test_answer_phrase_forms_of_instruct_models(text, answer):
    assert auto(text) == (answer, BOXED)


def test_answer_phrase_forms_grade_right_and_wrong(accuracy):
    cases = [
        ("\\frac43", "Leading terms.\n\\[\n\\text{Answer: } \\frac{4}{3}\n\\]", 1.0),
        ("\\frac43", "Leading terms.\n\\[\n\\text{Answer: } \\frac{3}{4}\n\\]", 0.0),
        ("-\\frac{\\pi}{6}", "Answer: -\\frac{\\pi}{6} (without quotes)", 1.0),
        ("-\\frac{\\pi}{6}", "Answer: \\frac{\\pi}{6} (without quotes)", 0.0),
        ("5", "The height follows.\n\nFinal Answer:\n$$ 5 \\, \\text{cm} $$", 1.0),
        ("5", "The height follows.\n\nFinal Answer:\n$$ 3 \\, \\text{cm} $$", 0.0),
        ("p - q", "Combining the sums.\n\nAnswer: p - q", 1.0),
        ("p - q", "Combining the sums.\n\nAnswer: p + q", 0.0),
        ("\\frac{5}{13}", "Answer: $\\dfrac{5}{13}$\n\nAnswer: $\\dfrac{5}{13}$\n\nAnswer: $\\dfrac{", 1.0),
        ("\\frac{5}{13}", "Answer: $\\dfrac{5}{12}$\n\nAnswer: $\\dfrac{5}{12}$\n\nAnswer: $\\dfrac{", 0.0),
        # the prompt's placeholder left unfilled: no answer, though x = 5 was tried on the way
        ("x=5", "Try x = 5: 5 = 1 + 4 fails.\n\nNeither solution works.\n\nAnswer: $ANSWER (None)", 0.0),
    ]
    assert grade_all(accuracy, cases) == []


def test_question_function_copied_as_the_answer(accuracy):
    # "Compute arcsin(-1/2)": repeating the question's expression is no answer, though math-verify evaluates it
    cases = [
        ("-\\frac{\\pi}{6}", "Compute $\\arcsin \\left( -\\frac{1}{2} \\right).$", 0.0),
        ("-\\frac{\\pi}{6}", "So the angle is \\boxed{-\\frac{\\pi}{6}}.", 1.0),
        ("\\frac{1}{2}", "The value is \\boxed{\\sin 30^\\circ}.", 0.0),
        ("\\frac{1}{2}", "The value is \\boxed{\\sin 30^\\circ = \\frac{1}{2}}.", 1.0),  # the last side answers
        ("\\cot x", "Answer: \\cot x", 1.0),  # a function of a variable, as the gold writes it
        ("3", "The product is \\boxed{\\log_2 8}.", 0.0),
    ]
    assert grade_all(accuracy, cases) == []


# --------------------------------------------------------------------------------------- several values


def test_value_lists_are_split_and_joined():
    assert split_values("a = -2, b = -2") == ["a = -2", "b = -2"]
    assert split_values("(1, 0), (100, 8)") == ["(1, 0)", "(100, 8)"]
    assert split_values("4 \\text{ and } 8") == ["4", "8"]
    assert split_values("12 or 13") == ["12", "13"]
    assert split_values("1,300") == ["1,300"]
    assert split_values("[1, 2)") == ["[1, 2)"]
    assert answer_values("\\{1, 2\\}") == 1
    assert join_values(["x = 5", "x = -2"]) == "5, -2"
    assert join_values(["x = 5"]) == "x = 5"
    assert final_boxes("\\boxed{10, 11} \\quad \\text{and} \\quad \\boxed{-2, -1}") == ["10, 11", "-2, -1"]


def test_single_valued_gold():
    assert single_valued_gold("12")
    assert single_valued_gold("\\$32,\\!348")
    assert single_valued_gold("\\frac{1}{2}")
    assert not single_valued_gold("5,-2")
    assert not single_valued_gold("1 \\pm \\sqrt{19}")
    assert not single_valued_gold("\\{1\\}")
    assert not single_valued_gold("(3, 4)")


@pytest.mark.parametrize(
    "text, answer",
    [
        ("Solve.\n\n**Final Answer:** The solutions are \\(x = 5\\) and \\(x = -2\\).", "5, -2"),
        ("So \\boxed{10, 11, 12} \\quad \\text{and} \\quad \\boxed{-2, -1}", "10, 11, 12, -2, -1"),
        ("Therefore the real roots are $1 + \\sqrt{19}$ and $1 - \\sqrt{19}$.", "1 + \\sqrt{19}, 1 - \\sqrt{19}"),
        ("The answer is $12$ and $13$.", "12, 13"),
        ("Thus \\boxed{a = -2, b = -2}", "-2, -2"),
    ],
)
def test_several_values_are_one_answer(text, answer):
    assert auto(text) == (answer, BOXED)


def test_several_values_grade_as_a_set(accuracy):
    ten = "10, 11, 12, 13, 14, -2, -1, 0, 1, 2"
    both = "\\boxed{10, 11, 12, 13, 14} \\quad \\text{and} \\quad \\boxed{-2, -1, 0, 1, 2}"
    cases = [
        ("5,-2", "**Final Answer:** The solutions are \\(x = 5\\) and \\(x = -2\\).", 1.0),
        ("5,-2", "**Final Answer:** The solutions are \\(x = -2\\) and \\(x = 5\\).", 1.0),
        ("5,-2", "**Final Answer:** The solutions are \\(x = 5\\) and \\(x = 2\\).", 0.0),
        ("5,-2", "**Final Answer:** The solution is \\(x = 5\\).", 0.0),
        (ten, f"So the two runs are {both}", 1.0),
        (ten, "So the run is \\boxed{10, 11, 12, 13, 14}", 0.0),
        ("10^{100}, 10^{1/100}", "\\boxed{10^{100}, 10^{0.01}}", 1.0),
        ("10^{100}, 10^{1/100}", "\\boxed{10^{100}, 10^{0.1}}", 0.0),
        ("1 \\pm \\sqrt{19}", "Therefore the real roots are $1 + \\sqrt{19}$ and $1 - \\sqrt{19}$.", 1.0),
        ("1 \\pm \\sqrt{19}", "Therefore the real roots are $1 + \\sqrt{19}$ and $1 - \\sqrt{17}$.", 0.0),
        ("-2,-2", "Thus \\boxed{a = -2, b = -2}", 1.0),
        ("-2,-2", "Thus \\boxed{a = -2, b = 2}", 0.0),
    ]
    assert grade_all(accuracy, cases) == []


def test_hedging_stays_unrewarded(accuracy):
    cases = [
        ("12", "The answer is 12 or 13.", 0.0),
        ("13", "The answer is 12 or 13.", 0.0),
        ("12", "The answer is $12$ and $13$.", 0.0),
        ("12", "\\boxed{12} or \\boxed{13}", 0.0),
        ("13", "\\boxed{12}, \\boxed{13}", 0.0),
        ("20", "It could be 18 or 20.", 0.0),
        ("5", "**Final Answer:** The solutions are \\(x = 5\\) and \\(x = -2\\).", 0.0),
        ("5", "\\boxed{5, -2}", 0.0),
    ]
    assert grade_all(accuracy, cases) == []
    assert rule_grade("12", "12, 13", BOXED) == (0.0, "[several values]")
    assert rule_grade("12, 13", "12, 13", BOXED) is None


# ------------------------------------------------------------------------------ equation in the answer phrase


def test_value_after_the_copula_of_a_prose_answer(accuracy):
    text = "**Answer:** The smallest value of \\(n\\) for which the sum exceeds 100 is \\(n = 10\\)."
    assert auto(text) == ("n = 10", BOXED)
    cases = [
        ("10", text, 1.0),
        ("100", text, 0.0),
        ("10", text.replace("n = 10", "n = 11"), 0.0),
        ("7", "Answer: The value of $x$ is $7$.", 1.0),
        ("7", "Answer: The value of $x$ is $8$.", 0.0),
    ]
    assert grade_all(accuracy, cases) == []


# ----------------------------------------------------------------------------------------------- gold forms


def test_escaped_currency_and_spacing_golds(accuracy):
    cases = [
        ("\\$76.80", "The total is \\boxed{76.80}.", 1.0),
        ("\\$76.80", "The total is \\boxed{\\$76.80}.", 1.0),
        ("\\$76.80", "The total is \\boxed{76.08}.", 0.0),
        ("\\$32,\\!348", "The total is \\boxed{32348}.", 1.0),
        ("\\$32,\\!348", "The total is \\boxed{32,348}.", 1.0),
        ("\\$32,\\!348", "The total is \\boxed{32438}.", 0.0),
        ("11,\\! 111,\\! 111,\\! 100", "\\boxed{11111111100}", 1.0),
        ("11,\\! 111,\\! 111,\\! 100", "\\boxed{1111111100}", 0.0),
        ("10\\,000", "\\boxed{10000}", 1.0),
        ("5\\text{ cm}", "\\boxed{5}", 1.0),
        ("5\\text{ cm}", "\\boxed{6}", 0.0),
        ("1,-2", "\\boxed{-2, 1}", 1.0),
    ]
    assert grade_all(accuracy, cases) == []


def test_gold_without_mathematical_object_is_none_and_logged_once(accuracy, caplog):
    gold = "\\text{see the figure}!?"
    with caplog.at_level(logging.WARNING, logger="rewards.accuracy"):
        assert accuracy(["\\boxed{1}", "\\boxed{2}", "\\boxed{3}"], solution=[gold] * 3) == [None] * 3
        assert accuracy(["\\boxed{4}"], solution=[gold]) == [None]
    assert sum("no mathematical object" in r.getMessage() for r in caplog.records) == 1


# ------------------------------------------------------------------------------------------ unfinished thinking


def test_unfinished_thinking_is_detected():
    assert unfinished_thinking("<think>7 + 6 = 13, so")
    assert unfinished_thinking("<think>a</think> then <think>b")
    assert not unfinished_thinking("<think>7 + 6 = 13</think> The answer is 13.")
    assert not unfinished_thinking("The answer is 13.")


def test_unfinished_thinking_scores_zero_by_default(accuracy):
    cut = "<think>We have 7 + 6 = 13. So the answer is 13."
    finished = "<think>We have 7 + 6 = 13.</think> The answer is 13."
    assert accuracy([cut, finished, "The answer is 13."], solution=["13"] * 3) == [0.0, 1.0, 1.0]
    lenient = get_reward("accuracy", timeout=30.0, num_workers=2, require_finished_thinking=False)
    assert lenient([cut, finished], solution=["13"] * 2) == [1.0, 1.0]


R1_ZERO = (
    "A conversation between User and Assistant. The reasoning process is enclosed within <think> </think> and answer "
    "is enclosed within <answer> </answer> tags.\nUser: What is 7 + 6?\nAssistant: <think>"
)


def test_thinking_opened_by_the_prompt_is_detected():
    assert thinking_opened_by_prompt(R1_ZERO)
    assert thinking_opened_by_prompt("Question: 7 + 6?\nAnswer: <think>\n")
    prefill = [{"role": "user", "content": "7 + 6?"}, {"role": "assistant", "content": "<think>"}]
    assert thinking_opened_by_prompt(prefill)
    assert not thinking_opened_by_prompt(R1_ZERO.rsplit("<think>", 1)[0])  # the tags only named in the instructions
    assert not thinking_opened_by_prompt([{"role": "user", "content": "Think in <think> tags: 7 + 6? <think>"}])
    assert not thinking_opened_by_prompt(None)
    assert unfinished_thinking("7 + 6 = 13, so \\boxed{13}", opened_by_prompt=True)
    assert not unfinished_thinking("7 + 6 = 13 </think> <answer>13</answer>", opened_by_prompt=True)
    assert not unfinished_thinking("7 + 6 = 13, so \\boxed{13}")


def test_thinking_opened_by_the_prompt_must_be_closed(accuracy):
    never_closed = "We have 7 + 6 = 13, so the answer is \\boxed{13}."  # right number, but still thinking
    closed = "We have 7 + 6 = 13. </think> <answer> 13 </answer>"
    closed_wrong = "We have 7 + 6 = 12. </think> <answer> 12 </answer>"
    completions = [never_closed, closed, closed_wrong]
    assert accuracy(completions, solution=["13"] * 3, prompts=[R1_ZERO] * 3) == [0.0, 1.0, 0.0]
    assert accuracy(completions, solution=["13"] * 3) == [1.0, 1.0, 0.0]  # no prompts given: the text alone
    lenient = get_reward("accuracy", timeout=30.0, num_workers=2, require_finished_thinking=False)
    assert lenient(completions, solution=["13"] * 3, prompts=[R1_ZERO] * 3) == [1.0, 1.0, 0.0]
    # prompts that do not open the block, or not one per completion, change nothing
    assert accuracy(completions, solution=["13"] * 3, prompts=["What is 7 + 6?"] * 3) == [1.0, 1.0, 0.0]
    assert accuracy(completions, solution=["13"] * 3, prompts=[R1_ZERO]) == [1.0, 1.0, 0.0]


def test_thinking_opened_by_the_template_must_be_closed(accuracy):
    never_closed = "We have 7 + 6 = 13, so the answer is \\boxed{13}."  # the template wrote <think> before it
    closed = "We have 7 + 6 = 13.\n</think>\n\nThe answer is \\boxed{13}."
    closed_wrong = "We have 7 + 6 = 12.\n</think>\n\nThe answer is \\boxed{12}."
    completions = [never_closed, closed, closed_wrong]
    template = get_reward("accuracy", timeout=30.0, num_workers=2, thinking_opened_by_template=True)
    assert template(completions, solution=["13"] * 3) == [0.0, 1.0, 0.0]
    assert accuracy(completions, solution=["13"] * 3) == [1.0, 1.0, 0.0]  # default: the text alone
    with pytest.raises(ValueError, match="thinking_opened_by_template=True needs require_finished_thinking=True"):
        get_reward("accuracy", thinking_opened_by_template=True, require_finished_thinking=False)
    with pytest.raises(ValueError, match="thinking_opened_by_template must be True or False"):
        get_reward("accuracy", thinking_opened_by_template="yes")


def test_answer_is_read_after_the_finished_thinking(accuracy):
    assert after_thinking("<think>try 12</think> The answer is 13.") == " The answer is 13."
    assert after_thinking("The answer is 13.") == "The answer is 13."
    cases = [
        ("13", "<think>First guess \\boxed{12}; no, 7 + 6 = 13.</think> The answer is \\boxed{13}.", 1.0),
        ("13", "<think>7 + 6 = 13, so \\boxed{13}.</think> The answer is \\boxed{12}.", 0.0),
        ("13", "<think>7 + 6 = 13, so \\boxed{13}.</think>", 0.0),  # nothing after the thinking: no answer
        ("13", "7 + 6 = 13, so \\boxed{13}. </think>", 0.0),  # the same, the block opened by the template
        ("13", "7 + 6 = 13 </think>\n\nThe answer is $13$.", 1.0),
        ("13", "<think>13 or 12?</think> It is \\boxed{12} or \\boxed{13}.", 0.0),  # hedging stays unrewarded
    ]
    assert grade_all(accuracy, cases) == []


def test_unicode_roots_and_numbers_with_a_root_in_prose(accuracy):
    assert unicode_math("√117 = √(9×13) = 3√13, 2π, πr^2") == "\\sqrt{117} = \\sqrt{9×13} = 3\\sqrt{13}, 2\\pi, \\pi r^2"
    assert unicode_math("no symbols") == "no symbols"
    cases = [
        ("3\\sqrt{13}", "**Answer:** The distance between the points is 3√13 units.", 1.0),
        ("3\\sqrt{13}", "**Answer:** The distance between the points is 3\\sqrt{13} units.", 1.0),
        ("3\\sqrt{13}", "**Answer:** The distance between the points is 3√14 units.", 0.0),
        ("3\\sqrt{13}", "**Answer:** The distance is 3 units.", 0.0),  # the number alone is not the root
        ("12\\pi", "Therefore, the unicycle's speed is 12π inches per second.", 1.0),
        ("12\\pi", "Therefore, the unicycle's speed is 12 inches per second.", 0.0),
        ("12\\pi", "The speed is 12π or 6π inches per second.", 0.0),  # hedging stays unrewarded
        ("2", "The circumference is 2\\pi units.", 0.0),  # the factor belongs to the number
    ]
    assert grade_all(accuracy, cases) == []


def test_require_finished_thinking_is_validated():
    with pytest.raises(ValueError, match="require_finished_thinking"):
        get_reward("accuracy", require_finished_thinking="yes")


def test_ordinals_and_percent_golds(accuracy):
    assert extract_answer("\\boxed{12^{\\text{th}}}", "answer", "auto") == ("12", BOXED)
    cases = [
        ("12", "The grade is \\boxed{12^{\\text{th}}}.", 1.0),
        ("12", "The grade is \\boxed{12th}.", 1.0),
        ("12", "The grade is \\boxed{11^{\\text{th}}}.", 0.0),
        ("17.5\\%", "The rate is \\boxed{17.5}.", 1.0),
        ("17.5\\%", "The rate is \\boxed{17.5\\%}.", 1.0),
        ("17.5\\%", "The rate is \\boxed{0.175}.", 1.0),
        ("17.5\\%", "The rate is \\boxed{18}.", 0.0),
    ]
    assert grade_all(accuracy, cases) == []


def test_decimal_approximations_of_exact_golds(accuracy):
    cases = [
        ("1 \\pm \\sqrt{19}", "The real roots are \\boxed{-3.35889894354067, 5.35889894354067}.", 0.0),
        ("1 \\pm \\sqrt{19}", "The real roots are \\boxed{1 - \\sqrt{19}, 1 + \\sqrt{19}}.", 1.0),
        ("2\\pi", "So the length is \\boxed{6.2832}.", 0.0),
        ("2\\pi", "So the length is \\boxed{2\\pi}.", 1.0),
        ("\\frac{1}{4}", "So the ratio is \\boxed{0.250}.", 1.0),
    ]
    assert grade_all(accuracy, cases) == []


@pytest.mark.parametrize(
    "text",
    [
        "$1$ and " * 20000 + "$2$.",
        "\\boxed{1} \\quad " * 10000 + "x",
        "\\boxed{1} \\quad \\text{and} " * 5000 + "\\boxed{2}",
        "# Answer\n\n" + "1, " * 30000 + "2",
        "The answer is " + "1 or " * 20000 + "2.",
        "<think>" + "7 + 6 = 13. " * 20000,
        "\\frac{1}{2}^{\\text{th}} " * 10000,
    ],
    ids=["and-list", "quad-boxes", "text-and-boxes", "heading-list", "or-list", "open-think", "ordinals"],
)
def test_new_rules_stay_fast_on_adversarial_text(text):
    """The list, heading, ordinal and think rules run in the trainer process without a time limit: near-linear (CPU
    seconds of this process, so a loaded machine does not fail it)."""
    start = time.process_time()
    source, mode = extract_answer(text, "answer", "auto")
    rule_grade("13", source, mode)
    unfinished_thinking(text)
    assert time.process_time() - start < 2.0
