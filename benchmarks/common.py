"""Shared benchmark helpers: table rows, medians and ratios, the markdown table, the machine line, step-level
interleaving of several trainers in one process, and JSON worker subprocesses with their peak RSS.

A benchmark row is a dict with the keys of :data:`ROW_KEYS`: ``median`` / ``min`` / ``max`` are floats (NaN in a
note row that measured nothing), ``met`` is a bool (None in a note row), the other values are strings.
"""

from __future__ import annotations

import json
import logging
import math
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

ROW_KEYS = ("benchmark", "reference", "median", "min", "max", "unit", "target", "met", "notes")
REPO_ROOT = Path(__file__).resolve().parent.parent
TABLE_COLUMNS = ("benchmark", "reference", "median", "min–max", "unit", "target", "met", "notes")


# ----------------------------------------------------------------------------------------------------- rows
def make_row(
    benchmark: str,
    reference: str,
    values: Sequence[float],
    unit: str,
    target: str,
    met: bool,
    notes: str = "",
) -> dict:
    """A table row from the repeated measurements ``values`` (median, min and max over them)."""
    median, low, high = summarize(values)
    return {
        "benchmark": benchmark,
        "reference": reference,
        "median": median,
        "min": low,
        "max": high,
        "unit": unit,
        "target": target,
        "met": bool(met),
        "notes": notes,
    }


def note_row(benchmark: str, notes: str, reference: str = "", unit: str = "", target: str = "") -> dict:
    """A row that measured nothing (a benchmark not available yet, or skipped): NaN values, ``met`` None."""
    return {
        "benchmark": benchmark,
        "reference": reference,
        "median": math.nan,
        "min": math.nan,
        "max": math.nan,
        "unit": unit,
        "target": target,
        "met": None,
        "notes": notes,
    }


def summarize(values: Sequence[float]) -> tuple[float, float, float]:
    """(median, min, max) of ``values`` as floats."""
    values = [float(v) for v in values]
    if not values:
        raise ValueError("summarize() needs at least one value")
    return float(statistics.median(values)), min(values), max(values)


def paired_ratios(numerators: Sequence[float], denominators: Sequence[float]) -> list[float]:
    """Element-wise ``numerators[i] / denominators[i]``: run i of B over run i of A (the same interleaved round)."""
    if len(numerators) != len(denominators):
        raise ValueError(f"paired_ratios: {len(numerators)} numerators but {len(denominators)} denominators")
    return [float(n) / float(d) for n, d in zip(numerators, denominators)]


# ---------------------------------------------------------------------------------------------------- table
def format_value(value: Any) -> str:
    """A number with 3 decimals below 10, 1 below 100, none above; NaN and None as an em dash."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    if not isinstance(value, (int, float)):
        return str(value)
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    return f"{value:.3f}"


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def format_table(rows: Sequence[dict]) -> str:
    """The markdown table of ``rows``: median, min–max, target and whether it is met."""
    lines = ["| " + " | ".join(TABLE_COLUMNS) + " |", "|" + "---|" * len(TABLE_COLUMNS)]
    for row in rows:
        missing = [key for key in ROW_KEYS if key not in row]
        if missing:
            raise ValueError(f"benchmark row {row.get('benchmark', row)!r} lacks the keys {missing}")
        if row["met"] is None:
            met = "—"
            spread = "—"
        else:
            met = "yes" if row["met"] else "**no**"
            spread = f"{format_value(row['min'])}–{format_value(row['max'])}"
        cells = [
            row["benchmark"],
            row["reference"],
            format_value(row["median"]),
            spread,
            row["unit"],
            row["target"],
            met,
            row["notes"],
        ]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines)


def cpu_model() -> str:
    """The CPU model name (from /proc/cpuinfo on Linux, platform.processor() elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_line() -> str:
    """CPU model, cores, Python / torch / transformers / trl versions."""
    import importlib.metadata as md

    versions = []
    for dist in ("torch", "transformers", "trl"):
        try:
            versions.append(f"{dist} {md.version(dist)}")
        except md.PackageNotFoundError:
            versions.append(f"{dist} (not installed)")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{cpu_model()}, {cores} cores, Python {platform.python_version()}, " + ", ".join(versions)


# ---------------------------------------------------------------------------------------------- RNG state
def capture_rng() -> tuple:
    """The global RNG states a training run draws from: Python, NumPy and torch (CPU)."""
    import numpy as np
    import torch

    return random.getstate(), np.random.get_state(), torch.get_rng_state()


def restore_rng(state: tuple) -> None:
    import numpy as np
    import torch

    python_state, numpy_state, torch_state = state
    random.setstate(python_state)
    np.random.set_state(numpy_state)
    torch.set_rng_state(torch_state)


# -------------------------------------------------------------------------------------- step interleaving
class Turn:
    """Handle a job receives from :class:`TurnScheduler`: call :meth:`end` at every step boundary."""

    def __init__(self, scheduler: TurnScheduler, index: int):
        self._scheduler = scheduler
        self._index = index

    def end(self) -> None:
        """Close this job's turn (its duration is recorded), let the others run, return when it is our turn again."""
        self._scheduler._release(self._index, finished=False)
        self._scheduler._acquire(self._index)


class TurnScheduler:
    """Runs jobs in threads but one at a time, handing a baton round robin at each step boundary.

    This interleaves several training runs step by step (A B C … then C B A …, alternating the direction every
    cycle so no job always follows the same one), so a change of machine load hits all of them alike. Only the
    baton holder runs; the others wait on a condition and use no CPU. Each job's global RNG state (Python, NumPy,
    torch) is saved when it hands the baton over and restored when it gets it back, so every job draws exactly the
    random numbers it would draw running alone from the state in ``rng_states``.

    ``durations[i]`` lists the wall time of each of job i's turns that ended with :meth:`Turn.end` (its first turn
    includes whatever the job did before its first step boundary), ``cpu_durations[i]`` the CPU time the process
    used in them (all threads; only the baton holder works, so this is job i's CPU time, which other programs on the
    machine inflate far less than wall time); the segment after the last boundary is not recorded.
    """

    def __init__(self, num_jobs: int, rng_states: Sequence[tuple] | None = None):
        if rng_states is not None and len(rng_states) != num_jobs:
            raise ValueError(f"TurnScheduler: {len(rng_states)} RNG states for {num_jobs} jobs")
        self.num_jobs = num_jobs
        self.durations: list[list[float]] = [[] for _ in range(num_jobs)]
        self.cpu_durations: list[list[float]] = [[] for _ in range(num_jobs)]
        self._rng: list[tuple | None] = list(rng_states) if rng_states is not None else [None] * num_jobs
        self._cond = threading.Condition()
        self._current: int | None = None
        self._alive: set[int] = set()
        self._queue: deque[int] = deque()
        self._forward = True
        self._started = [0.0] * num_jobs
        self._cpu_started = [0.0] * num_jobs

    def _next(self) -> int | None:
        while True:
            while self._queue:
                index = self._queue.popleft()
                if index in self._alive:
                    return index
            if not self._alive:
                return None
            order = sorted(self._alive)
            self._queue.extend(order if self._forward else reversed(order))
            self._forward = not self._forward

    def _acquire(self, index: int) -> None:
        with self._cond:
            while self._current != index:
                self._cond.wait()
        if self._rng[index] is not None:
            restore_rng(self._rng[index])
        self._started[index] = time.perf_counter()
        self._cpu_started[index] = time.process_time()

    def _release(self, index: int, finished: bool) -> None:
        elapsed = time.perf_counter() - self._started[index]
        cpu = time.process_time() - self._cpu_started[index]
        if not finished:
            self.durations[index].append(elapsed)
            self.cpu_durations[index].append(cpu)
        if self._rng[index] is not None:
            self._rng[index] = capture_rng()
        with self._cond:
            if finished:
                self._alive.discard(index)
            self._current = self._next()
            self._cond.notify_all()

    def run(self, jobs: Sequence[Callable[[Turn], Any]]) -> list[Any]:
        """Run ``jobs[i](turn)`` interleaved; returns their results; re-raises the first job's exception."""
        if len(jobs) != self.num_jobs:
            raise ValueError(f"TurnScheduler: built for {self.num_jobs} jobs, got {len(jobs)}")
        results: list[Any] = [None] * self.num_jobs
        errors: list[BaseException | None] = [None] * self.num_jobs

        def body(index: int) -> None:
            try:
                self._acquire(index)
                try:
                    results[index] = jobs[index](Turn(self, index))
                finally:
                    self._release(index, finished=True)
            except BaseException as exc:  # noqa: BLE001  (handed to the main thread)
                errors[index] = exc

        threads = [
            threading.Thread(target=body, args=(i,), name=f"bench-job-{i}", daemon=True) for i in range(self.num_jobs)
        ]
        with self._cond:
            self._alive = set(range(self.num_jobs))
            self._queue.clear()
            self._forward = True
            self._current = None
        for thread in threads:
            thread.start()
        with self._cond:
            self._current = self._next()
            self._cond.notify_all()
        for thread in threads:
            thread.join()
        for error in errors:
            if error is not None:
                raise error
        return results


# -------------------------------------------------------------------------------------- worker subprocesses
def peak_rss_bytes() -> int:
    """This process's peak resident set size (``ru_maxrss``; kilobytes on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


def write_json(path: str | os.PathLike, payload: Any) -> None:
    """A worker's result, written where the parent asked (stdout stays free for logs)."""
    Path(path).write_text(json.dumps(payload))


def _worker_env() -> dict:
    env = dict(os.environ)
    for name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
        env.setdefault(name, "1")
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    return env


def run_workers(module: str, arg_lists: Sequence[Sequence[str]], timeout: float = 900.0) -> list[dict]:
    """Run ``python -m module --out FILE *args`` for every ``args`` in ``arg_lists``, all at once, each in a fresh
    interpreter started from the repository root; return their JSON results in order.

    A worker writes its result with :func:`write_json` to its ``--out`` path; its stderr is shown on failure.
    """
    env = _worker_env()
    with tempfile.TemporaryDirectory(prefix="bench-worker-") as tmp:
        started = []
        for i, args in enumerate(arg_lists):
            out = Path(tmp) / f"result-{i}.json"
            err = Path(tmp) / f"stderr-{i}.txt"
            cmd = [sys.executable, "-m", module, "--out", str(out), *args]
            with open(err, "w") as err_file:
                proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err_file)
            started.append((cmd, proc, out, err))
        results = []
        failures = []
        deadline = time.monotonic() + timeout
        for cmd, proc, out, err in started:
            try:
                proc.wait(timeout=max(deadline - time.monotonic(), 0.0))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.returncode != 0 or not out.exists():
                failures.append(f"{' '.join(cmd[1:])} exited with {proc.returncode}:\n{err.read_text()[-4000:]}")
                continue
            results.append(json.loads(out.read_text()))
        if failures:
            raise RuntimeError("benchmark worker failed: " + "\n".join(failures))
        return results


def run_worker(module: str, args: Sequence[str], timeout: float = 900.0) -> dict:
    """:func:`run_workers` for one worker."""
    return run_workers(module, [args], timeout=timeout)[0]
