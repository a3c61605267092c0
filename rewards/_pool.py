"""A small process pool with a hard per-task time limit, reused across calls.

Why not ``concurrent.futures`` or ``multiprocessing.Pool``: a task that runs past its limit must be stopped, and a
C-level computation (a big-integer power inside sympy, for instance) holds the GIL and ignores signals, so neither a
thread nor ``signal.alarm`` can stop it. The only reliable stop is to kill the process running it. The standard
pools treat a killed worker as a broken pool; this one kills the worker, scores the task as timed out, starts a
replacement in the background and carries on.

Workers are fresh interpreters (``subprocess`` + ``sys.executable``), like multiprocessing's "spawn" context but
without re-importing the parent's ``__main__``: nothing is forked from a parent that has torch threads loaded, and
an unguarded training script is never re-executed. They start lazily on the first call, are shared by every reward
that asks for the same pool size and preload, and are shut down at interpreter exit (``atexit``). A process that
forks after the pool started (e.g. a DataLoader worker) gets its own pool instead of touching the parent's.

Unix only (pipes are passed by file descriptor).
"""

from __future__ import annotations

import atexit
import json
import logging
import math
import os
import pickle
import subprocess
import sys
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any

logger = logging.getLogger(__name__)

OK, ERROR, TIMEOUT, CRASH = "ok", "err", "timeout", "crash"
_STARTUP_TIMEOUT = 120.0
_MAX_STARTUP_FAILURES = 3


def default_num_workers() -> int:
    """CPU cores available to this process, shared among the processes of one node (``LOCAL_WORLD_SIZE``)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    local = int(os.environ.get("LOCAL_WORLD_SIZE", "1") or 1)
    return max(1, cores // max(1, local))


@dataclass
class _Worker:
    proc: subprocess.Popen
    tasks: Connection
    results: Connection
    ready: bool = False
    task: int | None = None
    deadline: float = math.inf
    started: float = field(default_factory=time.monotonic)


class WorkerPool:
    """``size`` worker processes; ``preload`` lists ``"module:function"`` callables each worker runs before it is
    ready (imports and warm-up, so they are not charged to the first task's time limit)."""

    def __init__(self, size: int, preload: Sequence[str] = (), memory_limit_mb: int = 0):
        if size < 1:
            raise ValueError(f"a worker pool needs at least one worker, got num_workers={size}")
        self.size = int(size)
        self.preload = list(preload)
        self.memory_limit_mb = int(memory_limit_mb)
        self._workers: list[_Worker] = []
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._startup_failures = 0
        self.respawns = 0

    def _spawn(self) -> _Worker:
        task_r, task_w = os.pipe()
        result_r, result_w = os.pipe()
        paths = [p for p in sys.path if isinstance(p, str)]
        boot = (
            "import sys, json; sys.path[:0] = json.loads(sys.argv[1]); "
            "from rewards._worker import main; "
            "main(int(sys.argv[2]), int(sys.argv[3]), json.loads(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]))"
        )
        env = dict(os.environ)
        for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            env[var] = "1"
        try:
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    boot,
                    json.dumps(paths),
                    str(task_r),
                    str(result_w),
                    json.dumps(self.preload),
                    str(os.getpid()),
                    str(self.memory_limit_mb),
                ],
                pass_fds=(task_r, result_w),
                stdin=subprocess.DEVNULL,
                env=env,
            )
        finally:
            os.close(task_r)
            os.close(result_w)
        return _Worker(proc, Connection(task_w, readable=False), Connection(result_r, writable=False))

    def _ensure_started(self) -> None:
        if self._pid != os.getpid():
            self._workers = []
            self._pid = os.getpid()
        while len(self._workers) < self.size:
            self._workers.append(self._spawn())
        _register(self)

    @staticmethod
    def _stop(worker: _Worker) -> None:
        if worker.proc.poll() is None:
            worker.proc.kill()
        for conn in (worker.tasks, worker.results):
            try:
                conn.close()
            except OSError:
                pass
        try:
            worker.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            logger.warning("grading worker %d did not exit after SIGKILL", worker.proc.pid)

    def _replace(self, slot: int) -> None:
        self._stop(self._workers[slot])
        self._workers[slot] = self._spawn()
        self.respawns += 1

    def _startup_failed(self, slot: int) -> None:
        worker = self._workers[slot]
        code = worker.proc.poll()
        self._startup_failures += 1
        if self._startup_failures >= _MAX_STARTUP_FAILURES:
            self._stop(worker)
            raise RuntimeError(
                f"grading worker failed to start {self._startup_failures} times (last exit code {code}); "
                f"preload={self.preload}; see its traceback on stderr above"
            )
        self._replace(slot)

    def run(self, calls: Sequence[tuple[Callable, tuple]], timeout: float) -> list[tuple[str, Any]]:
        """Run ``func(*args)`` for each call; returns ``(status, value)`` per call, in order.

        ``status`` is ``"ok"`` (value = the result), ``"err"`` (value = the exception text), ``"timeout"`` (the
        worker ran past ``timeout`` seconds and was killed) or ``"crash"`` (the worker died, value = exit code).
        The time limit of a call starts when a ready worker receives it.
        """
        if timeout <= 0:
            raise ValueError(f"timeout must be positive, got {timeout}")
        payloads = [pickle.dumps(call, protocol=pickle.HIGHEST_PROTOCOL) for call in calls]
        results: list[tuple[str, Any] | None] = [None] * len(calls)
        with self._lock:
            self._ensure_started()
            queue = deque(range(len(calls)))
            while True:
                for slot, worker in enumerate(list(self._workers)):
                    if worker.ready and worker.task is None and queue:
                        index = queue.popleft()
                        try:
                            worker.tasks.send_bytes(payloads[index])
                        except OSError:
                            queue.appendleft(index)
                            self._replace(slot)
                            continue
                        worker.task = index
                        worker.deadline = time.monotonic() + timeout
                busy = [w for w in self._workers if w.task is not None]
                if not queue and not busy:
                    break
                waiting = [w for w in self._workers if w.task is not None or not w.ready]
                now = time.monotonic()
                if busy:
                    wait_for = max(0.0, min(w.deadline for w in busy) - now)
                else:
                    wait_for = max(0.0, min(w.started for w in waiting) + _STARTUP_TIMEOUT - now)
                readable = set(wait([w.results for w in waiting], timeout=wait_for))
                for slot, worker in enumerate(list(self._workers)):
                    if worker.results not in readable:
                        continue
                    try:
                        message = worker.results.recv()
                    except (EOFError, OSError):
                        if worker.task is not None:
                            results[worker.task] = (CRASH, worker.proc.poll())
                            logger.warning(
                                "grading worker %d died (exit code %s) on task %d; starting a replacement",
                                worker.proc.pid,
                                worker.proc.poll(),
                                worker.task,
                            )
                            self._replace(slot)
                        elif not worker.ready:
                            self._startup_failed(slot)
                        else:
                            self._replace(slot)
                        continue
                    kind, value = message
                    if kind == "ready":
                        worker.ready = True
                        self._startup_failures = 0
                    elif worker.task is not None:
                        results[worker.task] = (kind, value)
                        worker.task = None
                        worker.deadline = math.inf
                now = time.monotonic()
                for slot, worker in enumerate(list(self._workers)):
                    if worker.task is not None and worker.deadline <= now:
                        results[worker.task] = (TIMEOUT, None)
                        self._replace(slot)
                    elif not worker.ready and worker.task is None and now - worker.started > _STARTUP_TIMEOUT:
                        self._startup_failed(slot)
        return [r if r is not None else (CRASH, None) for r in results]

    def warm_up(self) -> None:
        """Start the workers now and wait until all are ready (otherwise the first call starts them)."""
        with self._lock:
            self._ensure_started()
            deadline = time.monotonic() + _STARTUP_TIMEOUT
            while not all(w.ready for w in self._workers):
                pending = [w for w in self._workers if not w.ready]
                readable = set(wait([w.results for w in pending], timeout=max(0.0, deadline - time.monotonic())))
                if not readable:
                    raise RuntimeError(f"grading workers not ready after {_STARTUP_TIMEOUT} s")
                for slot, worker in enumerate(list(self._workers)):
                    if worker.results in readable:
                        try:
                            kind, _ = worker.results.recv()
                        except (EOFError, OSError):
                            self._startup_failed(slot)
                            continue
                        worker.ready = worker.ready or kind == "ready"

    def close(self) -> None:
        """Stop all workers (idempotent). The pool starts again on the next call."""
        with self._lock:
            if self._pid != os.getpid():
                self._workers = []
                return
            for worker in self._workers:
                try:
                    worker.tasks.send(None)
                except OSError:
                    pass
            end = time.monotonic() + 1.0
            for worker in self._workers:
                try:
                    worker.proc.wait(timeout=max(0.0, end - time.monotonic()))
                except subprocess.TimeoutExpired:
                    pass
                self._stop(worker)
            self._workers = []

    @property
    def pids(self) -> list[int]:
        return [w.proc.pid for w in self._workers]


_POOLS: dict[tuple, WorkerPool] = {}
_POOLS_LOCK = threading.Lock()
_STARTED: weakref.WeakSet[WorkerPool] = weakref.WeakSet()
_ATEXIT_REGISTERED = False


def _register(pool: WorkerPool) -> None:
    global _ATEXIT_REGISTERED
    with _POOLS_LOCK:
        _STARTED.add(pool)
        if not _ATEXIT_REGISTERED:
            atexit.register(close_all)
            _ATEXIT_REGISTERED = True


def get_pool(num_workers: int | None = None, preload: Sequence[str] = (), memory_limit_mb: int = 0) -> WorkerPool:
    """The shared pool for this size and preload (created on first use, workers started on first call)."""
    size = default_num_workers() if num_workers is None else int(num_workers)
    key = (size, tuple(preload), int(memory_limit_mb))
    with _POOLS_LOCK:
        pool = _POOLS.get(key)
        if pool is None:
            pool = _POOLS[key] = WorkerPool(size, preload, memory_limit_mb)
        return pool


def close_all() -> None:
    """Stop the workers of every shared pool (registered with ``atexit``)."""
    with _POOLS_LOCK:
        pools = list(_STARTED)
    for pool in pools:
        pool.close()
