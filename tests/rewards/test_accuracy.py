"""accuracy: hand-written answer table, extraction rules, None for unparsable gold, hard timeout in any thread,
de-duplication, one shared pool reused across calls and stopped at exit."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
import threading
import time
from fractions import Fraction

import pytest

from rewards import get_reward
from rewards.accuracy import ANSWER_TEXT, BOXED, TEXT, Accuracy, extract_answer, fast_grade, grade, last_boxed, simple_number

from ._procs import alive

ADVERSARIAL = r"$\boxed{9^{9^{9^{9^{9}}}}}$"
TIMEOUT = 2.0

# (gold, completion, expected) — expected is the mathematical truth, decided by hand.
TABLE = [
    # fractions
    (r"\frac{1}{3}", r"So the probability is \boxed{\frac{1}{3}}.", 1.0),
    (r"\frac{1}{2}", r"Simplifying, \boxed{\frac{2}{4}}", 1.0),
    (r"\frac{1}{2}", r"\boxed{\frac{1}{3}}", 0.0),
    ("3/4", r"\boxed{\dfrac{3}{4}}", 1.0),
    # decimals vs fractions
    (r"\frac{1}{2}", r"\boxed{0.5}", 1.0),
    ("0.25", r"\boxed{\frac14}", 1.0),
    ("0.75", r"\boxed{3/4}", 1.0),
    (r"\frac{1}{3}", r"\boxed{0.33}", 0.0),
    # intervals
    ("[1, 2)", r"\boxed{[1,2)}", 1.0),
    ("[1, 2)", r"\boxed{(1,2]}", 0.0),
    (r"(-\infty, 3]", r"\boxed{(-\infty, 3]}", 1.0),
    (r"(-\infty, 3]", r"\boxed{(-\infty, 3)}", 0.0),
    # sets
    (r"\{1, 2, 3\}", r"\boxed{\{3, 2, 1\}}", 1.0),
    (r"\{1, 2\}", r"\boxed{\{1, 3\}}", 0.0),
    # percentages
    (r"25\%", r"\boxed{25\%}", 1.0),
    (r"25\%", r"\boxed{0.25}", 1.0),
    (r"25\%", r"\boxed{30\%}", 0.0),
    # negative numbers
    ("-3", r"\boxed{-3}", 1.0),
    ("-3", r"\boxed{3}", 0.0),
    (r"-\frac{1}{2}", r"\boxed{-0.5}", 1.0),
    # expressions
    (r"2\sqrt{2}", r"\boxed{\sqrt{8}}", 1.0),
    ("x^2 + 2x + 1", r"\boxed{(x+1)^2}", 1.0),
    (r"\frac{\sqrt{3}}{2}", r"\boxed{\frac{\sqrt3}{2}}", 1.0),
    (r"2\pi", r"\boxed{\pi}", 0.0),
    ("2", r"\boxed{x = 2}", 1.0),
    # number formatting
    ("1000", r"\boxed{1,000}", 1.0),
    ("18", r"She earns \boxed{\$18} per day.", 1.0),
    ("Natalia sold 48/2 = 24 clips in May. 48 + 24 = 72\n#### 72", r"\boxed{72}", 1.0),
    # wrong or missing answers
    ("5", r"\boxed{6}", 0.0),
    ("12", "I am not sure.", 0.0),
    # where the answer is taken from
    ("12", "<think>3 * 4 = 12</think><answer>12</answer>", 1.0),
    ("12", "<think>...</think><answer>The answer is 12 apples.</answer>", 1.0),
    (r"\frac{1}{2}", r"<answer>$\frac{1}{2}$</answer>", 1.0),
    ("7", r"First \boxed{3}, but that is wrong; correcting: \boxed{7}", 1.0),
    ("7", r"Guess \boxed{3}. <answer>7</answer>", 1.0),
    ("5", "The final answer is $5$.", 1.0),
    # unparsable gold: skipped, never 0
    ("", r"\boxed{5}", None),
    ("???", r"\boxed{5}", None),
    (r"\text{see the figure", r"\boxed{5}", None),
]


@pytest.fixture(scope="module")
def accuracy():
    """Generous timeout: on a loaded CI machine a legitimate symbolic comparison can take a second or two."""
    reward = get_reward("accuracy", timeout=30.0, num_workers=2)
    reward.pool.warm_up()
    return reward


@pytest.fixture(scope="module")
def strict_accuracy(accuracy):
    """The same shared pool (warm), with the short timeout the adversarial tests measure against. The adversarial
    answers are unevaluated powers graded against plain-number golds, which the copy-the-question guard would score
    0.0 without math-verify; ``allow_expressions=True`` sends them to the workers, whose timeout is under test."""
    return get_reward("accuracy", timeout=TIMEOUT, num_workers=2, allow_expressions=True)


def test_table_of_answers(accuracy):
    assert len(TABLE) >= 30
    golds = [g for g, _, _ in TABLE]
    completions = [c for _, c, _ in TABLE]
    got = accuracy(completions, solution=golds)
    mismatches = [(g, c, e, r) for (g, c, e), r in zip(TABLE, got) if r != e]
    assert mismatches == []


def test_conversational_and_plain_give_the_same(accuracy):
    plain = [r"\boxed{\frac{1}{2}}", r"\boxed{3}"]
    chat = [[{"role": "assistant", "content": c}] for c in plain]
    multi_turn = [
        [
            {"role": "assistant", "content": r"Let me call a tool. \boxed{99}"},
            {"role": "tool", "content": "result"},
            {"role": "assistant", "content": c},
        ]
        for c in plain
    ]
    golds = ["0.5", "4"]
    assert accuracy(plain, solution=golds) == [1.0, 0.0]
    assert accuracy(chat, solution=golds) == [1.0, 0.0]
    assert accuracy(multi_turn, solution=golds) == [1.0, 0.0]


def test_solution_column_is_configurable_and_required(accuracy):
    reward = get_reward("accuracy", solution_column="answer", timeout=30.0, num_workers=2)
    assert reward([r"\boxed{4}"], answer=["4"], solution=["5"]) == [1.0]
    with pytest.raises(ValueError, match=r"reward 'accuracy'.*'answer'"):
        reward([r"\boxed{4}"], solution=["4"])
    with pytest.raises(ValueError, match="2 values for 1 completions"):
        accuracy([r"\boxed{4}"], solution=["4", "5"])


def test_none_gold_and_numeric_gold(accuracy):
    assert accuracy([r"\boxed{4}", r"\boxed{4}", r"\boxed{2.5}"], solution=[None, 4, 2.5]) == [None, 1.0, 1.0]


def test_trl_keyword_arguments_are_accepted_and_used(accuracy):
    extra, metrics = {}, {}
    got = accuracy(
        [r"\boxed{4}"],
        solution=["4"],
        prompts=["What is 2+2?"],
        completion_ids=[[1, 2]],
        trainer_state=object(),
        log_extra=lambda column, values: extra.setdefault(column, values),
        log_metric=lambda name, value: metrics.setdefault(name, value),
    )
    assert got == [1.0]
    assert list(extra) == ["answer_parsed"] and len(extra["answer_parsed"]) == 1
    assert metrics == {"rewards/accuracy/timeouts": 0.0}


def test_empty_batch_and_bad_completion(accuracy):
    assert accuracy([], solution=[]) == []
    with pytest.raises(ValueError, match=r"reward 'accuracy', sample 1: a completion must be"):
        accuracy([r"\boxed{1}", 42], solution=["1", "1"])


def test_invalid_arguments():
    with pytest.raises(ValueError, match="timeout"):
        Accuracy(timeout=0)
    with pytest.raises(ValueError, match="num_workers"):
        Accuracy(num_workers=0)
    with pytest.raises(ValueError, match=r"reward 'accuracy'.*accepted keyword arguments"):
        get_reward("accuracy", timout=3)


def test_extraction_rules():
    assert last_boxed(r"a \boxed{1} b \boxed{\frac{1}{2}} c") == r"\frac{1}{2}"
    assert last_boxed(r"\boxed{\{1,2\}}") == r"\{1,2\}"
    assert last_boxed(r"\fbox{7}") == "7"
    assert last_boxed(r"\boxed 5 apples") == "5"
    assert last_boxed(r"\boxed{unclosed") is None
    assert last_boxed("nothing") is None
    assert extract_answer("<answer> 12. </answer>") == ("12", BOXED)
    assert extract_answer(r"<answer>$\frac12$</answer>") == (r"$\frac12$", ANSWER_TEXT)
    assert extract_answer(r"<answer>18 \text{ dollars}</answer>") == (r"18 \text{ dollars}", BOXED)
    assert extract_answer("<answer>It is 12</answer>") == ("It is 12", ANSWER_TEXT)
    assert extract_answer(r"\boxed{3}<answer>\boxed{4}</answer>") == ("4", BOXED)
    assert extract_answer("<ans>4</ans>", answer_tag="ans") == ("4", BOXED)
    assert extract_answer("<answer>4</answer>", answer_tag=None) == ("<answer>4</answer>", TEXT)
    assert extract_answer("the result is $4$") == ("the result is $4$", TEXT)


def test_simple_numbers():
    assert simple_number("-12") == (-12, True)
    assert simple_number("$0.50$") == (Fraction(1, 2), False)
    assert simple_number(r"\dfrac{6}{8}") == (Fraction(3, 4), False)
    assert simple_number(" 3 / 4 ") == (Fraction(3, 4), False)
    assert simple_number("12.") == (12, True)
    for text in ("1,000", r"5\%", "1/0", "x", r"\frac12", "2^3", "1" * 31):
        assert simple_number(text) is None


NUMERIC_PAIRS = [
    ("5", "5"), ("5", "6"), ("-3", "3"), ("$-3$", "-3"), ("0.5", r"\frac{1}{2}"), ("0.5", "0.50"), ("3", "3.0"),
    ("3", "4.0"), (r"\frac{1}{3}", "0.333333"), (r"\frac{1}{3}", "0.33"), (r"\frac{2}{4}", "1/2"), ("1000", "999"),
    ("12345678901234567890", "12345678901234567891"), ("12345678901234567890", "12345678901234567890"),
    ("0.1", "0.1000001"), ("7", "7.0000001"), ("x #### 72", "72"), ("#### 72", "27"),
]


@pytest.mark.parametrize("gold,answer", NUMERIC_PAIRS)
def test_fast_path_agrees_with_math_verify(gold, answer):
    """Where the fast path decides, math-verify (graded here in-process) must decide the same."""
    decided = fast_grade(gold, answer, BOXED)
    if decided is not None:
        assert decided == grade(gold, answer, BOXED)[0]


def test_fast_path_decides_the_certain_cases():
    assert fast_grade("5", "5", BOXED) == 1.0
    assert fast_grade("5", "6", BOXED) == 0.0
    assert fast_grade("0.5", r"\frac{1}{2}", BOXED) == 1.0
    assert fast_grade(r"\frac{1}{3}", "0.333333", BOXED) is None  # math-verify rounds: left to it
    assert fast_grade("3", "4.0", BOXED) is None
    assert fast_grade("5", "5", TEXT) is None


def test_identical_pairs_are_graded_once(accuracy, monkeypatch):
    pool = accuracy.pool
    sent = []
    real_run = pool.run

    def counting_run(calls, timeout, keys=None):
        sent.extend(calls)
        return real_run(calls, timeout, keys)

    monkeypatch.setattr(pool, "run", counting_run)
    completions = [r"\boxed{x+1}", r"so \boxed{x+1}", r"\boxed{x+2}", r"<answer>x+1</answer>"] * 2
    got = accuracy(completions, solution=["1+x"] * 8)
    assert got == [1.0, 1.0, 0.0, 1.0] * 2
    # "\boxed{x+1}", "so \boxed{x+1}" and "<answer>x+1</answer>" all extract to ("x+1", boxed): 2 distinct pairs.
    assert len(sent) == 2
    sent.clear()
    assert accuracy([r"\boxed{4}", r"\boxed{5}", r"\boxed{0.5}"], solution=["4", "4", r"\frac{1}{2}"]) == [1.0, 0.0, 1.0]
    assert sent == []  # plain numbers: decided without the workers


def test_pool_is_shared_and_reused(accuracy, monkeypatch):
    other = get_reward("accuracy", solution_column="answer", timeout=TIMEOUT, num_workers=2)
    assert other.pool is accuracy.pool
    accuracy([r"\boxed{x}"], solution=["x"])
    before = accuracy.pool.pids
    calls = []
    real_run = accuracy.pool.run
    monkeypatch.setattr(accuracy.pool, "run", lambda c, timeout, keys: calls.append(len(c)) or real_run(c, timeout, keys))
    for answer in ("x+x", "2x", "x \\cdot 2"):
        assert accuracy([rf"\boxed{{{answer}}}", r"\boxed{3x}"], solution=["2x", "2x"]) == [1.0, 0.0]
    assert calls == [2, 2, 2]  # graded by the workers...
    assert accuracy.pool.pids == before  # ...which are the same processes every time


def _timed(fn):
    start = time.monotonic()
    result = fn()
    return result, time.monotonic() - start


def test_adversarial_completion_times_out_in_main_thread(strict_accuracy, caplog):
    assert threading.current_thread() is threading.main_thread()
    with caplog.at_level(logging.WARNING, logger="rewards.accuracy"):
        got, elapsed = _timed(lambda: strict_accuracy([ADVERSARIAL, r"\boxed{5}"], solution=["5", "5"]))
    assert got == [0.0, 1.0]
    assert elapsed < TIMEOUT + 2.0
    warnings = [r for r in caplog.records if r.name == "rewards.accuracy"]
    assert len(warnings) == 1 and "indices [0]" in warnings[0].getMessage()


def test_adversarial_completion_times_out_in_worker_thread(strict_accuracy):
    strict_accuracy.pool.warm_up()
    box: dict = {}

    def target():
        box["result"] = _timed(lambda: strict_accuracy([r"\boxed{5}", ADVERSARIAL], solution=["5", "5"]))

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(TIMEOUT + 30)
    assert not thread.is_alive()
    got, elapsed = box["result"]
    assert got == [1.0, 0.0]
    assert elapsed < TIMEOUT + 2.0


def test_batch_with_several_adversarial_completions_logs_once(strict_accuracy, caplog):
    strict_accuracy.pool.warm_up()
    other = r"$\boxed{8^{8^{8^{8^{8}}}}}$"
    completions = [ADVERSARIAL, r"\boxed{5}", other, ADVERSARIAL, r"\boxed{6}"]
    with caplog.at_level(logging.WARNING, logger="rewards.accuracy"):
        got, elapsed = _timed(lambda: strict_accuracy(completions, solution=["5"] * 5))
    assert got == [0.0, 1.0, 0.0, 0.0, 0.0]
    # two distinct adversarial pairs on two workers run side by side
    assert elapsed < TIMEOUT + 2.0
    warnings = [r for r in caplog.records if r.name == "rewards.accuracy"]
    assert len(warnings) == 1 and "indices [0, 2, 3]" in warnings[0].getMessage()
    assert strict_accuracy([r"\boxed{5}"], solution=["5"]) == [1.0]


def test_workers_are_stopped_at_exit(tmp_path):
    script = tmp_path / "use_accuracy.py"
    script.write_text(
        textwrap.dedent(
            """
            from rewards import get_reward
            reward = get_reward("accuracy", num_workers=2)
            assert reward([r"\\boxed{x+1}"], solution=["1+x"]) == [1.0]
            print(" ".join(str(p) for p in [*reward.pool.pids, reward.pool.zygote_pid]), flush=True)
            """
        )
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    pids = [int(p) for p in out.stdout.split()]
    assert len(pids) == 3  # two workers and the zygote
    deadline = time.monotonic() + 5
    running = pids
    while running and time.monotonic() < deadline:
        running = [p for p in pids if alive(p)]
        time.sleep(0.05)
    assert running == []
