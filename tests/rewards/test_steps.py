"""arithmetic_steps: the safe evaluator, equation finding, and step scores on hand-written steps."""

from __future__ import annotations

from fractions import Fraction

import pytest

from rewards import get_reward
from rewards.steps import evaluate, find_equations, normalize


@pytest.mark.parametrize(
    "expression,value",
    [
        ("12 * 3", 36),
        ("48/2", 24),
        ("2 + 3 * 4", 14),
        ("(2 + 3) * 4", 20),
        ("-(3 + 4) * 2", -14),
        ("2^10", 1024),
        ("2**3", 8),
        ("2^3^2", 512),  # right-associative: 2^(3^2)
        ("-2^2", -4),
        ("10 / 4", Fraction(5, 2)),
        ("0.1 + 0.2", Fraction(3, 10)),  # exact, no float rounding
        ("1,000 + 2,500", 3500),
        ("50%", Fraction(1, 2)),
        ("50% * 80", 40),
        ("2(3 + 4)", 14),
        ("(1 + 1)(2 + 2)", 8),
        (".5 * 4", 2),
        ("2^-1", Fraction(1, 2)),
    ],
)
def test_evaluate(expression, value):
    assert evaluate(expression).value == value


@pytest.mark.parametrize(
    "expression",
    [
        "__import__('os').system('echo hacked')",
        "abs(-3)",
        "2 ** x",
        "1e5",
        "3 +",
        "(3 + 4",
        "1 / 0",
        "9^9^9^9",  # refused before computing
        "10^100000",
        "1" * 31,
        "1 + " * 60 + "1",  # longer than the length limit
        "1,2",
        "",
    ],
)
def test_evaluate_refuses(expression):
    with pytest.raises(ValueError):
        evaluate(expression)


def test_evaluate_reports_literal_decimals():
    assert evaluate("3.33").decimals == 2
    assert evaluate("-36").decimals == 0
    assert evaluate("3 * 4").decimals is None


def test_normalize_latex():
    assert normalize(r"$12 \times 3 = 36$") == " 12 * 3 = 36 "
    assert normalize(r"\frac{48}{2} \div 2 = 12") == "((48)/(2)) / 2 = 12"
    assert normalize("7 − 2 = 5") == "7 - 2 = 5"
    assert normalize("3 x 4 = 12") == "3*4 = 12"


# (text, [(lhs, rhs, correct), ...]) — decided by hand
EQUATIONS = [
    ("12 * 3 = 36", [("12 * 3", "36", True)]),
    ("12 * 3 = 38", [("12 * 3", "38", False)]),
    ("Natalia sold 48/2 = <<48/2=24>>24 clips in May.", [("48/2", "24", True)]),
    ("She has 48+24 = <<48+24=70>>70 clips.", [("48+24", "70", False)]),
    (r"So $12 \times 3 = 36$ dollars.", [("12 * 3", "36", True)]),
    ("Then, 3 + 4 = 7, so 7 * 2 = 15.", [("3 + 4", "7", True), ("7 * 2", "15", False)]),
    ("5 - 8 = -3", [("5 - 8", "-3", True)]),
    ("12 * 3 = 36 = 6 * 6", [("12 * 3", "36", True), ("36", "6 * 6", True)]),
    ("Total = 3 + 4 = 7", [("3 + 4", "7", True)]),
    ("10 / 3 = 3.33", [("10 / 3", "3.33", True)]),  # rounded to the stated precision
    ("2 / 3 = 0.66", [("2 / 3", "0.66", True)]),  # truncated: within one unit of the last decimal
    ("2 / 3 = 0.6", [("2 / 3", "0.6", True)]),
    ("2 / 3 = 0.5", [("2 / 3", "0.5", False)]),
    ("10 / 3 = 3", [("10 / 3", "3", False)]),  # an integer must be exact
    ("$12 * 3 = $36", [("12 * 3", "36", True)]),
    ("1,000 + 2,500 = 3,500", [("1,000 + 2,500", "3,500", True)]),
    ("3 * 4 = 13, 13 + 1 = 14", [("3 * 4", "13", False), ("13 + 1", "14", True)]),  # ", " separates
    ("20% * 50 = 10", [("20% * 50", "10", True)]),
    # not equations that can be checked
    ("half of 48 = 24", []),
    ("20% of 50 * 2 = 20", []),
    ("2x + 3 = 7", []),
    ("x - 3 = 5", []),
    ("x = 5", []),
    ("f(2) = 4", []),
    ("a2 + 3 = 5", []),
    ("The length is 5 = 5cm", []),
    ("12 = 12", []),
    ("a <= 3 + 4 and 3 + 4 >= 2", []),
    ("no equations at all", []),
]


@pytest.mark.parametrize("text,expected", EQUATIONS)
def test_find_equations(text, expected):
    assert [tuple(e) for e in find_equations(text)] == expected


def test_step_scores_by_hand():
    reward = get_reward("arithmetic_steps")
    steps = [
        [
            "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\n\n",  # 1 of 1
            "Altogether 48 + 24 = 72 and 72 * 2 = 140.\n\n",  # 1 of 2
            "So the answer is 72.",  # no equation
        ],
        ["3 * 4 = 13, 13 + 1 = 14, 14 - 4 = 10"],  # 2 of 3
        [],
    ]
    completions = ["".join(s) for s in steps]
    assert reward(steps=steps, completions=completions) == [[1.0, 0.5, None], [pytest.approx(2 / 3)], []]
    neutral = get_reward("arithmetic_steps", no_equation=0.5)
    assert neutral(steps=steps[:1]) == [[1.0, 0.5, 0.5]]


def test_step_reward_errors():
    reward = get_reward("arithmetic_steps")
    with pytest.raises(ValueError, match=r"reward 'arithmetic_steps': is a step reward"):
        reward(completions=["1 + 1 = 2"])
    with pytest.raises(ValueError, match=r"reward 'arithmetic_steps', sample 1: steps\[i\] must be a list"):
        reward(steps=[["1 + 1 = 2"], "1 + 1 = 2"])
    with pytest.raises(ValueError, match="got 1 step lists for 2 completions"):
        reward(steps=[["a"]], completions=["a", "b"])
    with pytest.raises(ValueError, match="no_equation must be a float or None"):
        get_reward("arithmetic_steps", no_equation="neutral")


def test_model_text_is_never_executed(tmp_path):
    marker = tmp_path / "pwned"
    text = f"__import__('pathlib').Path({str(marker)!r}).touch() = 1 and (1).__class__ = 1"
    assert find_equations(text) == []
    assert not marker.exists()
