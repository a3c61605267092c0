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


# --------------------------------------------------------------------------------------------- reference_steps
REFERENCE = "3+4=7\n7*2=14\n14-5=9"  # plain `a op b = c` lines: results {7, 14, 9}


@pytest.mark.parametrize(
    "step,score",
    [
        ("<think>3+4=7\n", 1.0),
        ("7*2=14\n", 1.0),
        ("14-5=9</think><answer>9</answer>", 1.0),  # the number after the last '=': 9
        ("3+4=8\n", 0.0),
        ("7*2=15\n", 0.0),
        ("3+4=8, no: 3+4=7\n", 1.0),  # the last '=' decides
        ("3+4=7, 7*2=15\n", 0.0),
        ("So 7 * 2 = $14.00 in all.", 1.0),  # currency and trailing zeros do not matter
        ("= 14 apples", 1.0),  # units after the number are ignored
        ("#### 9", 1.0),  # a final-answer line states its number
        ("x = 3 + 4", 0.0),  # only the number right after '=' counts: 3
        ("</think><answer>9</answer>", None),  # states no result
        ("I add 3 and 4.\n", None),
        ("a <= 9 and b == 14", None),  # comparisons are not results
        ("", None),
    ],
)
def test_reference_steps_by_hand(step, score):
    reward = get_reward("reference_steps")
    assert reward(steps=[[step]], reference=[REFERENCE]) == [[score]]


@pytest.mark.parametrize(
    "reference,step,score",
    [
        ("12 * 100 = <<12*100=1300>>1300", "That is 12 * 100 = $1,300.", 1.0),  # thousands separator
        ("Pay: 450,000 - 2,000 = 448,000", "450000-2000=448000", 1.0),
        ("6 * 2.5 = 15.0", "6*2.5=15", 1.0),  # 15.0 = 15
        ("2 * 20% = <<2*20*.01=.4>>.4 liters", "2 * 0.2 = 0.40 liters", 1.0),  # .4 = 0.40
        ("2 * 10 = 20%", "2*10=20", 1.0),  # a percent sign is a unit: 20% states 20
        ("5 - 8 = -3", "5 - 8 = \u22123", 1.0),  # the typographic minus is a sign
        ("5 - 8 = -3", "5 - 8 = 3", 0.0),
        ("10 / 3 = 3.33", "10/3 = 3.333", 0.0),  # decimals are compared exactly
        (r"$\frac{48}{2} = 24$", r"$48 \div 2 = 24$", 1.0),  # LaTeX on either side
        ("The answer.\n#### 72", "48 + 24 = 72", 1.0),  # the #### line is a result of the reference
    ],
)
def test_reference_steps_number_normalisation(reference, step, score):
    reward = get_reward("reference_steps")
    assert reward(steps=[[step]], reference=[reference]) == [[score]]


def test_reference_steps_rows_columns_and_errors():
    reward = get_reward("reference_steps")
    steps = [["3+4=7\n", "7*2=15\n", "done"], ["3+4=7\n"], ["3+4=7\n"], []]
    references = [REFERENCE, None, "no results in this reference", REFERENCE]
    # a reference that is None or states no result cannot grade anything: every step of that row is None
    assert reward(steps=steps, reference=references) == [[1.0, 0.0, None], [None], [None], []]
    custom = get_reward("reference_steps", reference_column="answer")
    assert custom(steps=[["3+4=7"]], answer=[REFERENCE], reference=["1=1"]) == [[1.0]]
    with pytest.raises(ValueError, match=r"reward 'reference_steps': needs the dataset column 'reference'"):
        reward(steps=[["3+4=7"]], solution=["9"])
    with pytest.raises(ValueError, match="column 'reference' has 1 values for 2 completions"):
        reward(steps=[["a"], ["b"]], reference=[REFERENCE])
    with pytest.raises(ValueError, match=r"reward 'reference_steps', sample 0: column 'reference' must hold strings"):
        reward(steps=[["a"]], reference=[7])
    with pytest.raises(ValueError, match=r"reward 'reference_steps', sample 0: steps\[i\] must be a list"):
        reward(steps=["3+4=7"], reference=[REFERENCE])
    with pytest.raises(ValueError, match="reward 'reference_steps': is a step reward"):
        reward(completions=["3+4=7"], reference=[REFERENCE])
    with pytest.raises(ValueError, match="reference_column must be a non-empty column name"):
        get_reward("reference_steps", reference_column="")


def test_reference_steps_never_executes_text(tmp_path):
    marker = tmp_path / "pwned"
    step = f"x = __import__('pathlib').Path({str(marker)!r}).touch()"
    reference = f"y = __import__('pathlib').Path({str(marker)!r}).touch() = 1"
    assert get_reward("reference_steps")(steps=[[step]], reference=[reference]) == [[None]]
    assert not marker.exists()


# Eight reference solutions of the GSM8K training set (openai/grade-school-math, grade_school_math/data/train.jsonl,
# MIT licence, Cobbe et al. 2021, arXiv 2110.14168), quoted verbatim; each with one step rewritten by hand to carry a
# wrong intermediate result that is none of the reference's results.
GSM8K_TRAIN = [
    (
        "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\n"
        "Natalia sold 48+24 = <<48+24=72>>72 clips altogether in April and May.\n"
        "#### 72",
        1, "Natalia sold 48+24 = <<48+24=62>>62 clips altogether in April and May.",
    ),
    (
        "Weng earns 12/60 = $<<12/60=0.2>>0.2 per minute.\n"
        "Working 50 minutes, she earned 0.2 x 50 = $<<0.2*50=10>>10.\n"
        "#### 10",
        0, "Weng earns 12/60 = $<<12/60=0.5>>0.5 per minute.",
    ),
    (
        "In the beginning, Betty has only 100 / 2 = $<<100/2=50>>50.\n"
        "Betty's grandparents gave her 15 * 2 = $<<15*2=30>>30.\n"
        "This means, Betty needs 100 - 50 - 30 - 15 = $<<100-50-30-15=5>>5 more.\n"
        "#### 5",
        1, "Betty's grandparents gave her 15 * 2 = $<<15*2=25>>25.",
    ),
    (
        "She works 8 hours a day for $18 per hour so she makes 8*18 = $<<8*18=144.00>>144.00 per 8-hour shift\n"
        "She works 10 hours a day and anything over 8 hours is eligible for overtime, so she gets 10-8 = <<10-8=2>>2 "
        "hours of overtime\n"
        "Overtime is calculated as time and a half so and she makes $18/hour so her overtime pay is 18*.5 = "
        "$<<18*.5=9.00>>9.00\n"
        "Her overtime pay is 18+9 = $<<18+9=27.00>>27.00\n"
        "Her base pay is $144.00 per 8-hour shift and she works 5 days and makes 5 * $144 = $<<144*5=720.00>>720.00\n"
        "Her overtime pay is $27.00 per hour and she works 2 hours of overtime per day and makes 27*2 = "
        "$<<27*2=54.00>>54.00 in overtime pay\n"
        "2 hours of overtime pay for 5 days means she makes 54*5 = $270.00\n"
        "In 5 days her base pay is $720.00 and she makes $270.00 in overtime pay so she makes $720 + $270 = "
        "$<<720+270=990.00>>990.00\n"
        "#### 990",
        3, "Her overtime pay is 18+9 = $<<18+9=28.00>>28.00",
    ),
    (
        "He sold each DVD for 6*2.5=$<<6*2.5=15>>15\n"
        "So he makes a profit of 15-6=$<<15-6=9>>9\n"
        "So each day he makes a profit of 9*500=$<<9*500=4500>>4500\n"
        "So he makes 4500*5=$<<4500*5=22500>>22,500\n"
        "He makes 22,500*20=$<<22500*20=450000>>450,000\n"
        "Then after the cost of creating the movie he has a profit of 450,000-2000=$<<450000-2000=448000>>448,000\n"
        "#### 448000",
        3, "So he makes 4500*5=$<<4500*5=20500>>20,500",
    ),
    (
        "Out of the first 100 balls, Ralph was able to hit 2/5 of them and not able to hit 3/5 of them, 3/5 x 100 = 60 "
        "tennis balls Ralph didn't hit.\n"
        "Out of the next 75 balls, Ralph was able to hit 1/3 of them and not able to hit 2/3 of them, 2/3 x 75 = 50 "
        "tennis balls that Ralph didn't hit.\n"
        "Combined, Ralph was not able to hit 60 + 50 = <<60+50=110>>110 tennis balls Ralph didn't hit.\n"
        "#### 110",
        0, "Out of the first 100 balls, Ralph was able to hit 2/5 of them, 3/5 x 100 = 40 tennis balls he didn't hit.",
    ),
    (
        "First find how many liters of the seawater are salt: 2 liters * 20% = <<2*20*.01=.4>>.4 liters\n"
        "Then multiply that amount by 1000 ml/liter to find the number of ml of salt Jack gets: .4 liters * 1000 "
        "ml/liter = <<.4*1000=400>>400 ml\n"
        "#### 400",
        1, "Then multiply by 1000 ml/liter: .4 liters * 1000 ml/liter = <<.4*1000=4000>>4000 ml",
    ),
    (
        "The number of truck stamps is 11 + 9 = <<11+9=20>>20.\n"
        "The number of rose stamps is 20 \u2212 13 = <<20-13=7>>7.\n"
        "Bella bought 11 + 20 + 7 = <<11+20+7=38>>38 stamps in all.\n"
        "#### 38",
        1, "The number of rose stamps is 20 \u2212 13 = <<20-13=9>>9.",
    ),
]


@pytest.mark.parametrize("answer,wrong_index,wrong_step", GSM8K_TRAIN, ids=[a.split()[0] for a, *_ in GSM8K_TRAIN])
def test_reference_steps_on_gsm8k_reference_solutions(answer, wrong_index, wrong_step):
    reward = get_reward("reference_steps")
    lines = answer.split("\n")
    assert reward(steps=[lines], reference=[answer]) == [[1.0] * len(lines)]  # every step of its own reference
    corrupted = lines[:wrong_index] + [wrong_step] + lines[wrong_index + 1 :]
    expected = [1.0] * len(lines)
    expected[wrong_index] = 0.0
    assert reward(steps=[corrupted], reference=[answer]) == [expected]
