"""Reward fault handling: a guard around every reward function the trainer calls.

:func:`guard_reward` wraps a reward (outcome or step level, sync or async) so that a fault inside it never reaches
TRL as an anonymous traceback or as a silently corrupted reward tensor:

- the reward raises: the batch is re-run one sample at a time to find the first failing sample, then
  :class:`RewardError` names the reward, that sample's index and the original exception (chained as ``__cause__``);
  with ``on_error="none"`` the failing samples get ``None`` instead (TRL leaves them out of the statistics and gives
  them advantage 0) and a warning names them. A :class:`RewardError` raised by the reward itself already names what
  failed and passes through unchanged; without a sample index (a missing dataset column, a bad argument: nothing
  can be graded) it does so under ``on_error="none"`` too;
- the reward returns the wrong number of values (or, for a step reward, the wrong number of rows or of scores for a
  completion's steps), or a value that is not a number: always :class:`RewardError`, since that is a bug in the
  reward, not a sample it cannot grade;
- the reward returns NaN or ±inf: :class:`RewardError`, or ``None`` with a warning under ``on_error="none"``.

The guard does not add a time limit: a reward that may hang must carry its own (the built-in ``accuracy`` has one;
wrap your own with :func:`rewards.with_timeout`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from typing import Any

from trl.trainer.utils import is_async_callable

from rewards._utils import RewardError

logger = logging.getLogger(__name__)

__all__ = ["ON_ERROR", "RewardError", "guard_reward"]

ON_ERROR = ("raise", "none")
# Keyword arguments TRL passes that are not per-sample data: never sliced, and the logging callbacks are replaced by
# no-ops while samples are re-run one by one (a re-run must not log a second time).
_SHARED_KWARGS = ("trainer_state", "log_extra", "log_metric")
_CALLBACKS = ("log_extra", "log_metric")


class _Failure:
    """The exception one sample raised during the one-by-one re-run."""

    def __init__(self, error: BaseException):
        self.error = error


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def _preview(completion: Any, limit: int = 80) -> str:
    """A short repr of one completion for error messages (the last message's content if conversational)."""
    if isinstance(completion, (list, tuple)) and completion and isinstance(completion[-1], dict):
        completion = completion[-1].get("content", completion[-1])
    text = repr(completion)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _batch_size(args: tuple, kwargs: dict[str, Any]) -> int | None:
    for key in ("completions", "steps", "completion_ids", "prompts"):
        value = kwargs.get(key)
        if isinstance(value, (list, tuple)):
            return len(value)
    if args and isinstance(args[0], (list, tuple)):
        return len(args[0])
    return None


def _noop(*_args: Any, **_kwargs: Any) -> None:
    return None


def _sample_calls(args: tuple, kwargs: dict[str, Any], n: int) -> list[tuple[tuple, dict[str, Any]]]:
    """The arguments of one call per sample: every list of the batch's length sliced to that sample."""

    def one(value: Any, i: int) -> Any:
        if isinstance(value, (list, tuple)) and len(value) == n:
            return type(value)([value[i]]) if isinstance(value, list) else (value[i],)
        return value

    calls = []
    for i in range(n):
        sample_args = tuple(one(a, i) for a in args)
        sample_kwargs = {
            key: (value if key in _SHARED_KWARGS else one(value, i)) for key, value in kwargs.items()
        }
        for key in _CALLBACKS:
            if key in sample_kwargs:
                sample_kwargs[key] = _noop
        calls.append((sample_args, sample_kwargs))
    return calls


class _Guard:
    def __init__(self, func: Callable, name: str, on_error: str):
        if on_error not in ON_ERROR:
            raise ValueError(f"guard_reward({name!r}): on_error={on_error!r} is not valid; choose one of {list(ON_ERROR)}")
        self.func = func
        self.on_error = on_error
        self.reward_level = getattr(func, "reward_level", "outcome")
        self.__name__ = name
        self.__qualname__ = name
        self.__doc__ = getattr(func, "__doc__", None)
        self.__wrapped__ = func

    def __repr__(self) -> str:
        return f"<guarded reward {self.__name__!r} ({self.reward_level}, on_error={self.on_error!r})>"

    # ------------------------------------------------------------------------------------------- checking
    def _number(self, value: Any, index: int, step: int | None) -> float | None:
        """A checked score: a finite float, or None (given, or NaN/inf under on_error='none')."""
        where = "" if step is None else f", step {step}"
        if value is None:
            return None
        try:
            if isinstance(value, (str, bytes)):
                raise TypeError
            number = float(value)
        except (TypeError, ValueError):
            raise RewardError(
                self.__name__,
                f"returned {value!r} ({type(value).__name__}){where}; a reward must return a float, or None for a "
                "sample it cannot grade",
                index,
            ) from None
        if math.isfinite(number):
            return number
        if self.on_error == "none":
            logger.warning(
                "reward '%s', sample %d%s: returned %s; treated as None (reward_errors='none')",
                self.__name__,
                index,
                where,
                number,
            )
            return None
        raise RewardError(
            self.__name__,
            f"returned {number}{where}, which is not a finite number; return None for a sample the reward cannot "
            "grade, or set reward_errors='none' to treat NaN/inf as None",
            index,
        )

    def _check(self, result: Any, n: int | None, steps: Sequence[Sequence[Any]] | None, offset: int = 0) -> list:
        """Validate a batch result (``offset`` is the sample index of its first row, for one-sample re-runs)."""
        if isinstance(result, (str, bytes)) or not hasattr(result, "__len__") or not hasattr(result, "__iter__"):
            raise RewardError(
                self.__name__,
                f"returned {type(result).__name__}, expected a list with one "
                f"{'list of step scores' if self.reward_level == 'step' else 'value'} per completion",
            )
        values = list(result)
        if n is not None and len(values) != n:
            what = "rows" if self.reward_level == "step" else "values"
            raise RewardError(
                self.__name__,
                f"returned {len(values)} {what} for {n} completions; a reward must return exactly one "
                f"{'list of step scores' if self.reward_level == 'step' else 'value (float or None)'} per completion",
            )
        if self.reward_level != "step":
            return [self._number(v, offset + i, None) for i, v in enumerate(values)]
        checked = []
        for i, row in enumerate(values):
            index = offset + i
            if isinstance(row, (str, bytes)) or not isinstance(row, Sequence):
                raise RewardError(
                    self.__name__,
                    f"returned {type(row).__name__} for one completion; a step reward returns one list of scores "
                    "(float or None per step) per completion",
                    index,
                )
            if steps is not None and len(row) != len(steps[i]):
                raise RewardError(
                    self.__name__,
                    f"returned {len(row)} scores for {len(steps[i])} steps; return one score (float or None) per step",
                    index,
                )
            checked.append([self._number(v, index, j) for j, v in enumerate(row)])
        return checked

    def _ungraded(self, steps: Sequence[Sequence[Any]] | None, i: int) -> Any:
        if self.reward_level == "step" and steps is not None:
            return [None] * len(steps[i])
        return None

    # ------------------------------------------------------------------------------------------- failures
    def _reraise_if_final(self, error: Exception, n: int | None) -> None:
        """Errors that need no one-by-one re-run: a RewardError the reward raised itself already names what failed.

        Without a sample index it reports a problem of the whole batch or setup (a missing dataset column, a bad
        argument): it is raised whatever ``on_error`` says, since no sample could be graded. With an index it is
        raised as is under ``"raise"``; under ``"none"`` the samples are re-run to find every one that fails.
        """
        if isinstance(error, RewardError) and (error.index is None or self.on_error == "raise"):
            raise error
        if n is None:
            raise RewardError(self.__name__, f"raised {_describe(error)}") from error

    def _first_failure(self, outcomes: list, error: BaseException, completions: Any = None) -> None:
        for i, outcome in enumerate(outcomes):
            if isinstance(outcome, _Failure):
                message = f"raised {_describe(outcome.error)}"
                if isinstance(completions, (list, tuple)) and i < len(completions):
                    message += f" (completion: {_preview(completions[i])})"
                raise RewardError(self.__name__, message, i) from outcome.error
        raise RewardError(
            self.__name__,
            f"raised {_describe(error)} on the batch, but every sample succeeded when graded alone (the failure "
            "depends on the batch, not on one sample)",
        ) from error

    def _merge(self, outcomes: list, error: BaseException, steps, n: int) -> list:
        failed = [i for i, o in enumerate(outcomes) if isinstance(o, _Failure)]
        if not failed:
            logger.warning(
                "reward '%s' raised %s on the batch, but every sample succeeded when graded alone; using the "
                "one-by-one results",
                self.__name__,
                _describe(error),
            )
        else:
            first = outcomes[failed[0]].error
            logger.warning(
                "reward '%s' raised on %d of %d samples (indices %s; first: %s); their rewards are None "
                "(reward_errors='none')",
                self.__name__,
                len(failed),
                n,
                failed,
                _describe(first),
            )
        return [self._ungraded(steps, i) if isinstance(o, _Failure) else o for i, o in enumerate(outcomes)]

    def _one_result(self, result: Any, steps, i: int) -> Any:
        sample_steps = None if steps is None else [steps[i]]
        return self._check(result, 1, sample_steps, offset=i)[0]


class _SyncGuard(_Guard):
    def __call__(self, *args: Any, **kwargs: Any) -> list:
        n = _batch_size(args, kwargs)
        steps = kwargs.get("steps")
        try:
            result = self.func(*args, **kwargs)
        except Exception as error:  # noqa: BLE001 - any reward failure is reported, never swallowed silently
            self._reraise_if_final(error, n)
            return self._recover(args, kwargs, n, steps, error)
        return self._check(result, n, steps)

    def _recover(self, args, kwargs, n: int, steps, error: BaseException) -> list:
        outcomes: list = []
        for i, (sample_args, sample_kwargs) in enumerate(_sample_calls(args, kwargs, n)):
            try:
                result = self.func(*sample_args, **sample_kwargs)
            except Exception as sample_error:  # noqa: BLE001
                outcomes.append(_Failure(sample_error))
                if self.on_error == "raise":
                    break
                continue
            outcomes.append(self._one_result(result, steps, i))
        if self.on_error == "raise":
            self._first_failure(outcomes, error, kwargs.get("completions", args[0] if args else None))
        return self._merge(outcomes, error, steps, n)


class _AsyncGuard(_Guard):
    async def __call__(self, *args: Any, **kwargs: Any) -> list:
        n = _batch_size(args, kwargs)
        steps = kwargs.get("steps")
        try:
            result = await self.func(*args, **kwargs)
        except Exception as error:  # noqa: BLE001
            self._reraise_if_final(error, n)
            outcomes: list = []
            for i, (sample_args, sample_kwargs) in enumerate(_sample_calls(args, kwargs, n)):
                try:
                    sample_result = await self.func(*sample_args, **sample_kwargs)
                except Exception as sample_error:  # noqa: BLE001
                    outcomes.append(_Failure(sample_error))
                    if self.on_error == "raise":
                        break
                    continue
                outcomes.append(self._one_result(sample_result, steps, i))
            if self.on_error == "raise":
                self._first_failure(outcomes, error, kwargs.get("completions", args[0] if args else None))
            return self._merge(outcomes, error, steps, n)
        return self._check(result, n, steps)


def guard_reward(func: Callable, name: str, on_error: str = "raise") -> Callable:
    """Wrap a reward function so that its faults give a clear error, or ``None`` rewards when asked.

    Args:
        func: an outcome reward ``f(completions, **kwargs) -> list[float | None]`` or a step reward (attribute
            ``reward_level = "step"``) ``f(steps=..., **kwargs) -> list[list[float | None]]``; sync or async.
        name: the reward's name, used in messages and kept as the wrapper's ``__name__`` (TRL's metric name).
        on_error: ``"raise"`` (default): an exception or a NaN/inf value raises :class:`RewardError` naming the
            reward, the sample index and the cause. ``"none"``: those samples get ``None`` (a step reward: ``None``
            for every step of the sample; a NaN/inf step score: ``None`` for that step) and a warning is logged.

    Returns:
        A callable with the same call signature, ``__name__ == name`` and ``func``'s ``reward_level`` (async if
        ``func`` is), returning plain floats / ``None``. A wrong number of values or a non-numeric value always
        raises :class:`RewardError`.

    Cost: one pass over the returned values; after an exception, one extra call per sample (up to the first failing
    one with ``"raise"``, all of them with ``"none"``). Arguments that are lists of the batch's length are sliced
    per sample; others (``trainer_state``) are passed unchanged, and TRL's ``log_extra`` / ``log_metric`` callbacks
    become no-ops during the re-run.
    """
    if isinstance(func, _Guard):
        func = func.func
    cls = _AsyncGuard if is_async_callable(func) else _SyncGuard
    return cls(func, name, on_error)


def is_guarded(func: Any) -> bool:
    """True when ``func`` already went through :func:`guard_reward`."""
    return isinstance(func, _Guard)
