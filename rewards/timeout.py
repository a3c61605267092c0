"""``with_timeout``: a hard per-sample time limit for any reward function.

``with_timeout(fn, seconds)`` returns a reward with the same name and level that grades each completion in a worker
process (:mod:`rewards._pool`, the same mechanism as ``accuracy``): ``fn`` is called once per completion, with the
per-sample slice of every list keyword argument of the batch's length (``solution=[s_i]``, ``steps=[steps_i]``, ...)
and the other keyword arguments unchanged. A sample that runs longer than ``seconds`` has its worker killed and gets
``on_timeout`` (for a step reward, ``on_timeout`` for each of its steps). This works from any thread and stops
C-level loops that ignore signals.

The worker processes import ``fn``'s module once, before any time limit starts. Costs and limits: one
inter-process round trip per sample (about 0.3 ms) and no batching inside ``fn``; ``fn`` and
its arguments must be picklable, so ``fn`` must be defined in an importable module (not in ``__main__``);
keyword arguments that cannot be pickled (TRL's ``log_extra`` / ``log_metric`` callbacks) are not forwarded.
"""

from __future__ import annotations

import dataclasses
import logging
import pickle
import types
from collections.abc import Callable, Sequence
from typing import Any

from ._pool import CRASH, OK, TIMEOUT, get_pool
from ._utils import RewardError

logger = logging.getLogger(__name__)


def _call_one(fn: Callable, completion: Any, kwargs: dict[str, Any]) -> Any:
    result = fn(completions=[completion], **kwargs)
    if len(result) != 1:
        raise ValueError(f"returned {len(result)} values for one completion")
    return result[0]


class TimedReward:
    """A reward run sample by sample in worker processes with a hard time limit (see :func:`with_timeout`)."""

    def __init__(self, fn: Callable, seconds: float, on_timeout: float | None = 0.0, num_workers: int | None = None):
        name = getattr(fn, "__name__", type(fn).__name__)
        if not seconds or seconds <= 0:
            raise ValueError(f"with_timeout({name}): seconds must be positive, got {seconds!r}")
        if getattr(fn, "__module__", None) == "__main__":
            raise ValueError(
                f"with_timeout({name}): the function is defined in __main__, which a worker process cannot import; "
                "move it to a module"
            )
        try:
            pickle.dumps(fn)
        except Exception as err:
            raise ValueError(f"with_timeout({name}): the function must be picklable ({type(err).__name__}: {err})") from err
        self.fn = fn
        self.seconds = float(seconds)
        self.on_timeout = on_timeout
        self.num_workers = num_workers
        self.__name__ = name
        self.reward_level = getattr(fn, "reward_level", "outcome")

    def __call__(self, completions: Sequence[Any], **kwargs: Any) -> list[Any]:
        n = len(completions)
        if n == 0:
            return []
        shared: dict[str, Any] = {}
        sliced: dict[str, list[Any]] = {}
        for key, value in kwargs.items():
            if isinstance(value, (list, tuple)) and len(value) == n and key not in ("trainer_state",):
                sliced[key] = list(value)
                continue
            if key == "trainer_state" and dataclasses.is_dataclass(value):
                # a plain namespace with the same attributes: unpickling transformers' TrainerState would make each
                # fresh worker import transformers (seconds) inside the first sample's time limit
                value = types.SimpleNamespace(**{f.name: getattr(value, f.name) for f in dataclasses.fields(value)})
            try:
                pickle.dumps(value)
            except Exception:
                logger.debug("%s: keyword argument %r is not picklable and is not forwarded", self.__name__, key)
                continue
            shared[key] = value
        calls = []
        for i in range(n):
            per_sample = {key: [values[i]] for key, values in sliced.items()}
            calls.append((_call_one, (self.fn, completions[i], {**shared, **per_sample})))
        module = getattr(self.fn, "__module__", None) or type(self.fn).__module__
        outcomes = get_pool(self.num_workers, (module,)).run(calls, timeout=self.seconds)
        rewards: list[Any] = []
        late: list[int] = []
        for i, (status, value) in enumerate(outcomes):
            if status == OK:
                rewards.append(value)
            elif status in (TIMEOUT, CRASH):
                late.append(i)
                if self.reward_level == "step" and "steps" in sliced:
                    rewards.append([self.on_timeout] * len(sliced["steps"][i]))
                else:
                    rewards.append(self.on_timeout)
            else:
                raise RewardError(self.__name__, f"failed in the worker: {value}", i)
        if late:
            logger.warning(
                "%s: %d sample(s) exceeded the %.1f s timeout and got %r: indices %s",
                self.__name__,
                len(late),
                self.seconds,
                self.on_timeout,
                late,
            )
        return rewards


def with_timeout(
    fn: Callable, seconds: float, *, on_timeout: float | None = 0.0, num_workers: int | None = None
) -> TimedReward:
    """Wrap ``fn`` so that each completion is graded in a worker process killed after ``seconds``.

    Returns a callable with ``fn``'s ``__name__`` and ``reward_level``; a sample that times out gets ``on_timeout``.
    """
    return TimedReward(fn, seconds, on_timeout=on_timeout, num_workers=num_workers)
