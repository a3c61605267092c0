"""grpo_plus.guard.guard_reward: clear errors (reward, sample index, cause) or None rewards for faulty rewards."""

from __future__ import annotations

import asyncio
import logging
import math

import numpy as np
import pytest
import torch
from trl.trainer.utils import is_async_callable

from grpo_plus.guard import RewardError, guard_reward

COMPLETIONS = ["ab", "abcd", "", "a", ""]


def inverse_length(completions, **kwargs):
    return [1.0 / len(c) for c in completions]


def test_passes_values_through_and_keeps_name_and_level():
    def scores(completions, **kwargs):
        return [np.float32(0.5), torch.tensor(2.0), None, 3, True]

    scores.reward_level = "outcome"
    guarded = guard_reward(scores, "my_reward", "raise")
    result = guarded(completions=COMPLETIONS)
    assert result == [0.5, 2.0, None, 3.0, 1.0]
    assert all(type(v) is float for v in result if v is not None)
    assert guarded.__name__ == "my_reward"
    assert guarded.reward_level == "outcome"


def test_step_level_is_kept():
    def per_step(steps, **kwargs):
        return [[1.0] * len(s) for s in steps]

    per_step.reward_level = "step"
    guarded = guard_reward(per_step, "per_step", "raise")
    assert guarded.reward_level == "step"
    assert guarded(steps=[["a", "b"], ["c"]], completions=["ab", "c"]) == [[1.0, 1.0], [1.0]]


def test_raising_reward_names_reward_first_failing_sample_and_cause():
    guarded = guard_reward(inverse_length, "inverse_length", "raise")
    with pytest.raises(RewardError) as info:
        guarded(completions=COMPLETIONS)
    # samples 2 and 4 are empty; the first one is reported
    assert str(info.value) == (
        "reward 'inverse_length', sample 2: raised ZeroDivisionError: float division by zero (completion: '')"
    )
    assert info.value.reward == "inverse_length"
    assert info.value.index == 2
    assert isinstance(info.value.__cause__, ZeroDivisionError)


def test_raising_reward_gives_none_for_failing_samples_under_none(caplog):
    guarded = guard_reward(inverse_length, "inverse_length", "none")
    with caplog.at_level(logging.WARNING, logger="grpo_plus.guard"):
        result = guarded(completions=COMPLETIONS)
    assert result == [0.5, 0.25, None, 1.0, None]
    message = caplog.records[-1].getMessage()
    assert "reward 'inverse_length' raised on 2 of 5 samples (indices [2, 4]" in message
    assert "ZeroDivisionError: float division by zero" in message


def test_rerun_slices_batch_columns_and_silences_trl_callbacks():
    calls = []
    logged = []
    state = object()

    def needs_solution(completions, solution, trainer_state, log_extra, **kwargs):
        calls.append((list(completions), list(solution), trainer_state))
        log_extra("parsed", list(solution))
        return [float(int(s)) for s in solution]

    guarded = guard_reward(needs_solution, "needs_solution", "none")
    result = guarded(
        completions=["x", "y", "z"],
        solution=["1", "oops", "3"],
        trainer_state=state,
        log_extra=lambda column, values: logged.append((column, values)),
    )
    assert result == [1.0, None, 3.0]
    # one batch call, then one call per sample with that sample's slice of every batch-sized list
    assert calls == [
        (["x", "y", "z"], ["1", "oops", "3"], state),
        (["x"], ["1"], state),
        (["y"], ["oops"], state),
        (["z"], ["3"], state),
    ]
    # only the batch call reached TRL's log_extra (it failed after logging); the re-runs did not log again
    assert logged == [("parsed", ["1", "oops", "3"])]


def test_raise_mode_stops_rerun_at_first_failure():
    calls = []

    def fails_on_b(completions, **kwargs):
        calls.append(list(completions))
        if "b" in completions:
            raise KeyError("b")
        return [1.0] * len(completions)

    with pytest.raises(RewardError, match=r"reward 'fails_on_b', sample 1: raised KeyError: 'b' \(completion: 'b'\)$"):
        guard_reward(fails_on_b, "fails_on_b", "raise")(completions=["a", "b", "c", "d"])
    assert calls == [["a", "b", "c", "d"], ["a"], ["b"]]


@pytest.mark.parametrize("on_error", ["raise", "none"])
def test_wrong_number_of_values_is_always_an_error(on_error):
    def too_few(completions, **kwargs):
        return [1.0] * (len(completions) - 1)

    with pytest.raises(RewardError) as info:
        guard_reward(too_few, "too_few", on_error)(completions=["a", "b", "c", "d"])
    assert str(info.value) == (
        "reward 'too_few': returned 3 values for 4 completions; a reward must return exactly one value (float or None) "
        "per completion"
    )


@pytest.mark.parametrize("on_error", ["raise", "none"])
def test_non_numeric_value_is_always_an_error(on_error):
    def text(completions, **kwargs):
        return [1.0, "0.5"]

    with pytest.raises(RewardError, match=r"reward 'text', sample 1: returned '0.5' \(str\)"):
        guard_reward(text, "text", on_error)(completions=["a", "b"])


def test_not_a_list_is_an_error():
    with pytest.raises(RewardError, match=r"reward 'scalar': returned float, expected a list with one value"):
        guard_reward(lambda completions, **kw: 1.0, "scalar", "none")(completions=["a"])


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_raises(bad):
    with pytest.raises(RewardError) as info:
        guard_reward(lambda completions, **kw: [0.0, bad, 1.0], "nan_reward", "raise")(completions=["a", "b", "c"])
    assert str(info.value).startswith(f"reward 'nan_reward', sample 1: returned {bad}, which is not a finite number")


@pytest.mark.parametrize("bad", [math.nan, math.inf, float(np.float32("nan"))])
def test_non_finite_becomes_none_with_warning(bad, caplog):
    with caplog.at_level(logging.WARNING, logger="grpo_plus.guard"):
        result = guard_reward(lambda completions, **kw: [0.0, bad, 1.0], "nan_reward", "none")(completions=["a", "b", "c"])
    assert result == [0.0, None, 1.0]
    assert "reward 'nan_reward', sample 1: returned" in caplog.text and "treated as None" in caplog.text


def test_tensor_nan_is_caught():
    with pytest.raises(RewardError, match="sample 0: returned nan"):
        guard_reward(lambda completions, **kw: torch.tensor([math.nan, 1.0]), "t", "raise")(completions=["a", "b"])


def test_failure_that_depends_on_the_batch():
    def batch_only(completions, **kwargs):
        if len(completions) > 1:
            raise MemoryError("batch too large")
        return [2.0]

    with pytest.raises(RewardError) as info:
        guard_reward(batch_only, "batch_only", "raise")(completions=["a", "b"])
    assert str(info.value) == (
        "reward 'batch_only': raised MemoryError: batch too large on the batch, but every sample succeeded when graded "
        "alone (the failure depends on the batch, not on one sample)"
    )
    assert guard_reward(batch_only, "batch_only", "none")(completions=["a", "b"]) == [2.0, 2.0]


# ------------------------------------------------------------------------------------------------ step rewards
def _step_reward(func):
    func.reward_level = "step"
    return func


STEPS = [["1+1=2\n\n", "2+2=4"], ["x"], ["3+3=6\n\n", "bad", "end"]]


def test_step_reward_raising_gives_none_for_every_step_of_the_sample():
    @_step_reward
    def checker(steps, **kwargs):
        return [[1.0 if "=" in s else 0.0 for s in row] if row != ["x"] else 1 / 0 for row in steps]

    assert guard_reward(checker, "checker", "none")(steps=STEPS, completions=["", "", ""]) == [
        [1.0, 1.0],
        [None],
        [1.0, 0.0, 0.0],
    ]
    with pytest.raises(RewardError, match=r"reward 'checker', sample 1: raised ZeroDivisionError"):
        guard_reward(checker, "checker", "raise")(steps=STEPS, completions=["", "", ""])


def test_step_reward_nan_step_becomes_none():
    @_step_reward
    def nan_second(steps, **kwargs):
        return [[0.5] + [math.nan] * (len(row) - 1) for row in steps]

    assert guard_reward(nan_second, "nan_second", "none")(steps=STEPS, completions=["", "", ""]) == [
        [0.5, None],
        [0.5],
        [0.5, None, None],
    ]
    with pytest.raises(RewardError, match=r"reward 'nan_second', sample 0: returned nan, step 1, which is not"):
        guard_reward(nan_second, "nan_second", "raise")(steps=STEPS, completions=["", "", ""])


@pytest.mark.parametrize("on_error", ["raise", "none"])
def test_step_reward_shape_errors(on_error):
    @_step_reward
    def short_row(steps, **kwargs):
        return [[1.0] for _ in steps]

    with pytest.raises(RewardError, match=r"reward 'short_row', sample 0: returned 1 scores for 2 steps"):
        guard_reward(short_row, "short_row", on_error)(steps=STEPS, completions=["", "", ""])

    @_step_reward
    def missing_row(steps, **kwargs):
        return [[1.0] * len(r) for r in steps[:-1]]

    with pytest.raises(RewardError, match=r"reward 'missing_row': returned 2 rows for 3 completions"):
        guard_reward(missing_row, "missing_row", on_error)(steps=STEPS, completions=["", "", ""])

    @_step_reward
    def flat(steps, **kwargs):
        return [1.0 for _ in steps]

    with pytest.raises(RewardError, match=r"reward 'flat', sample 0: returned float for one completion"):
        guard_reward(flat, "flat", on_error)(steps=STEPS, completions=["", "", ""])


# ------------------------------------------------------------------------------------------------ async, misc
def test_async_reward_stays_async_and_is_guarded():
    async def async_inverse(completions, **kwargs):
        await asyncio.sleep(0)
        return [1.0 / len(c) for c in completions]

    guarded = guard_reward(async_inverse, "async_inverse", "none")
    assert is_async_callable(guarded)
    assert asyncio.run(guarded(completions=["ab", ""])) == [0.5, None]
    strict = guard_reward(async_inverse, "async_inverse", "raise")
    with pytest.raises(RewardError, match=r"reward 'async_inverse', sample 1: raised ZeroDivisionError"):
        asyncio.run(strict(completions=["ab", ""]))


def test_sync_guard_is_not_async():
    assert not is_async_callable(guard_reward(inverse_length, "inverse_length", "raise"))


def test_guarding_twice_wraps_once():
    once = guard_reward(inverse_length, "a", "raise")
    twice = guard_reward(once, "b", "none")
    assert twice.__wrapped__ is inverse_length
    assert twice(completions=["ab", ""]) == [0.5, None]


def test_unknown_on_error():
    with pytest.raises(ValueError, match=r"on_error='ignore' is not valid; choose one of \['raise', 'none'\]"):
        guard_reward(inverse_length, "inverse_length", "ignore")


def test_long_and_conversational_completions_are_shortened_in_the_message():
    def fails(completions, **kwargs):
        raise ValueError("no")

    with pytest.raises(RewardError) as info:
        guard_reward(fails, "fails", "raise")(completions=["x" * 200])
    assert str(info.value) == f"reward 'fails', sample 0: raised ValueError: no (completion: '{'x' * 76}...)"
    chat = [[{"role": "assistant", "content": "hello"}]]
    with pytest.raises(RewardError, match=r"raised ValueError: no \(completion: 'hello'\)$"):
        guard_reward(fails, "fails", "raise")(completions=chat)


def test_reward_error_is_a_value_error():
    assert issubclass(RewardError, ValueError)


def test_reward_error_without_index_passes_through_in_both_modes():
    """A reward's own batch-level RewardError (e.g. a missing dataset column) is not a sample failure."""
    calls = []

    def needs_column(completions, **kwargs):
        calls.append(len(completions))
        raise RewardError("needs_column", "needs the dataset column 'solution'")

    for on_error in ("raise", "none"):
        with pytest.raises(RewardError) as info:
            guard_reward(needs_column, "needs_column", on_error)(completions=["a", "b"])
        assert str(info.value) == "reward 'needs_column': needs the dataset column 'solution'"
    assert calls == [2, 2]  # no one-by-one re-run


def test_reward_error_with_index_is_kept_or_rerun():
    def bad_second(completions, **kwargs):
        for i, c in enumerate(completions):
            if c == "bad":
                raise RewardError("bad_second", "cannot parse", i if len(completions) > 1 else 0)
        return [1.0] * len(completions)

    with pytest.raises(RewardError) as info:
        guard_reward(bad_second, "bad_second", "raise")(completions=["ok", "bad", "ok"])
    assert str(info.value) == "reward 'bad_second', sample 1: cannot parse"
    assert guard_reward(bad_second, "bad_second", "none")(completions=["ok", "bad", "ok"]) == [1.0, None, 1.0]
