"""with_timeout: a hard per-sample limit for plain rewards, outcome and step level, from any thread."""

from __future__ import annotations

import threading
import time

import pytest

from rewards import get_reward, with_timeout

LIMIT = 1.0


def length_reward(completions, solution=None, bonus=0.0, **kwargs):
    """Length of the completion, plus a bonus when it equals the solution; hangs on 'hang'."""
    out = []
    for completion, gold in zip(completions, solution or [None] * len(completions)):
        if completion == "hang":
            pow(9, 9**9)
        out.append(len(completion) + (bonus if completion == gold else 0.0))
    return out


def per_step(steps, **kwargs):
    return [[0.0 if "hang" in s and pow(9, 9**9) else float(len(s)) for s in item] for item in steps]


per_step.reward_level = "step"


def failing(completions, **kwargs):
    raise RuntimeError("boom")


def test_outcome_reward_with_a_hanging_sample():
    reward = with_timeout(length_reward, LIMIT, num_workers=2)
    assert reward.__name__ == "length_reward" and reward.reward_level == "outcome"
    start = time.monotonic()
    got = reward(
        ["abc", "hang", "hello"],
        solution=["abc", "x", "y"],
        bonus=10.0,
        log_extra=lambda *a: None,  # not picklable: not forwarded
        trainer_state=None,
    )
    assert time.monotonic() - start < LIMIT + 2.0
    assert got == [13.0, 0.0, 5.0]
    assert reward([]) == []


def test_step_reward_and_on_timeout():
    reward = with_timeout(per_step, LIMIT, on_timeout=None, num_workers=2)
    assert reward.reward_level == "step"
    got = reward(completions=["ab", "x"], steps=[["a", "bb"], ["hang", "y", "z"]])
    assert got == [[1.0, 2.0], [None, None, None]]


def test_from_a_worker_thread():
    reward = with_timeout(length_reward, LIMIT, on_timeout=-1.0, num_workers=2)
    box = {}

    def target():
        start = time.monotonic()
        box["got"] = reward(["hang", "ok"])
        box["elapsed"] = time.monotonic() - start

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(30)
    assert box["got"] == [-1.0, 2.0] and box["elapsed"] < LIMIT + 2.0


def test_resolved_rewards_can_be_wrapped():
    reward = with_timeout(get_reward("format"), LIMIT, num_workers=2)
    assert reward.__name__ == "format"
    assert reward(["<think>a</think><answer>1</answer>", "no"]) == [1.0, 0.0]


def test_errors():
    with pytest.raises(ValueError, match="must be picklable"):
        with_timeout(lambda completions, **kw: [0.0] * len(completions), 1.0)
    main_fn = type(length_reward)(length_reward.__code__, {}, "main_fn")
    main_fn.__module__ = "__main__"
    with pytest.raises(ValueError, match="defined in __main__"):
        with_timeout(main_fn, 1.0)
    with pytest.raises(ValueError, match="seconds must be positive"):
        with_timeout(length_reward, 0)
    with pytest.raises(ValueError, match=r"reward 'failing', sample 0: failed in the worker: RuntimeError: boom"):
        with_timeout(failing, 5.0, num_workers=2)(["a"])
