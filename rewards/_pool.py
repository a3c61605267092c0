"""A small process pool with a hard per-task time limit, reused across calls.

Why not ``concurrent.futures`` or ``multiprocessing.Pool``: a task that runs past its limit must be stopped, and a
C-level computation (a big-integer power inside sympy, for instance) holds the GIL and ignores signals, so neither a
thread nor ``signal.alarm`` can stop it. The only reliable stop is to kill the process running it. The standard
pools treat a killed worker as a broken pool; this one kills the worker, scores the task as timed out, forks a
replacement and carries on.

Processes (:mod:`rewards._worker`): one zygote per pool, a fresh interpreter started with ``subprocess`` (like
multiprocessing's "forkserver", but it never re-imports the trainer's ``__main__`` and never forks the trainer
itself, which has torch threads loaded). The zygote preloads math-verify once and forks the workers, so a
replacement is ready in milliseconds. The pool starts on its first call, is shared by every reward asking for the
same size and preload, and is shut down at interpreter exit (``atexit``). A process that forks after the pool started
(a DataLoader worker, say) gets its own pool instead of touching the parent's.

Unix only (fork, ``SCM_RIGHTS``).
"""

from __future__ import annotations

import atexit
import json
import logging
import math
import os
import pickle
import signal
import socket
import subprocess
import sys
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any

logger = logging.getLogger(__name__)

OK, ERROR, TIMEOUT, CRASH = "ok", "err", "timeout", "crash"
_STARTUP_TIMEOUT = 120.0
_MAX_FAILURES = 3


def default_num_workers() -> int:
    """CPU cores available to this process, shared among the processes of one node (``LOCAL_WORLD_SIZE``)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    local = int(os.environ.get("LOCAL_WORLD_SIZE", "1") or 1)
    return max(1, cores // max(1, local))


@dataclass(eq=False)
class _Worker:
    pid: int
    tasks: Connection
    results: Connection
    ready: bool = False
    task: int | None = None
    deadline: float = math.inf
    seen: set = field(default_factory=set)
    current: Hashable = None


class _Queue:
    """Pending call indices. With keys, calls sharing a key go preferably to the worker that already ran that key
    (so each worker parses a gold answer once instead of every worker parsing every gold)."""

    def __init__(self, n: int, keys: Sequence[Hashable] | None):
        self.plain: deque[int] | None = deque(range(n)) if keys is None else None
        self.keys = keys
        self.groups: dict[Hashable, deque[int]] = {}
        if keys is not None:
            for index, key in enumerate(keys):
                self.groups.setdefault(key, deque()).append(index)
        self.owner: dict[Hashable, _Worker] = {}

    def __bool__(self) -> bool:
        return bool(self.plain) if self.plain is not None else bool(self.groups)

    def push_front(self, index: int) -> None:
        if self.plain is not None:
            self.plain.appendleft(index)
        else:
            self.groups.setdefault(self.keys[index], deque()).appendleft(index)

    def pop(self, worker: _Worker, workers: Sequence[_Worker]) -> int:
        if self.plain is not None:
            return self.plain.popleft()
        key = worker.current if worker.current in self.groups else None
        if key is None:
            key = next((k for k in self.groups if k in worker.seen), None)
        if key is None:
            key = next((k for k in self.groups if self.owner.get(k) not in workers or self.owner[k] is worker), None)
        if key is None:
            key = max(self.groups, key=lambda k: len(self.groups[k]))
        group = self.groups[key]
        index = group.popleft()
        if not group:
            del self.groups[key]
        self.owner[key] = worker
        worker.current = key
        worker.seen.add(key)
        return index


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


class WorkerPool:
    """``size`` worker processes; ``preload`` lists ``"module:function"`` callables (or bare ``"module"`` names to
    import) the zygote runs once before forking workers, so they are not charged to any task's time limit."""

    def __init__(self, size: int, preload: Sequence[str] = (), memory_limit_mb: int = 0):
        if size < 1:
            raise ValueError(f"a worker pool needs at least one worker, got num_workers={size}")
        self.size = int(size)
        self.preload = list(preload)
        self.memory_limit_mb = int(memory_limit_mb)
        self._workers: list[_Worker] = []
        self._zygote: subprocess.Popen | None = None
        self._control: socket.socket | None = None
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._failures = 0
        self.respawns = 0

    def _start_zygote(self) -> None:
        parent_end, child_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        paths = [p for p in sys.path if isinstance(p, str)]
        boot = (
            "import sys, json; sys.path[:0] = json.loads(sys.argv[1]); "
            "from rewards._worker import zygote; "
            "zygote(int(sys.argv[2]), json.loads(sys.argv[3]), int(sys.argv[4]))"
        )
        env = dict(os.environ)
        for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            env[var] = "1"
        args = [json.dumps(paths), str(child_end.fileno()), json.dumps(self.preload), str(self.memory_limit_mb)]
        try:
            self._zygote = subprocess.Popen(
                [sys.executable, "-c", boot, *args],
                pass_fds=(child_end.fileno(),),
                stdin=subprocess.DEVNULL,
                env=env,
            )
        finally:
            child_end.close()
        self._control = parent_end
        parent_end.settimeout(_STARTUP_TIMEOUT)
        try:
            ready = parent_end.recv(1)
        except OSError:
            ready = b""
        if ready != b"R":
            code = self._zygote.poll()
            self._stop_zygote()
            raise RuntimeError(
                f"the grading process failed to start (exit code {code}, preload={self.preload}); "
                "see its traceback on stderr above"
            )
        parent_end.settimeout(30.0)

    def _stop_zygote(self) -> None:
        if self._control is not None:
            self._control.close()
            self._control = None
        if self._zygote is not None:
            try:
                self._zygote.wait(timeout=2)
            except subprocess.TimeoutExpired:
                self._zygote.kill()
                self._zygote.wait(timeout=5)
            self._zygote = None

    def _fork(self) -> _Worker:
        for attempt in range(_MAX_FAILURES):
            if self._control is None:
                self._start_zygote()
            try:
                self._control.sendall(b"F")
                message, fds, _, _ = socket.recv_fds(self._control, 8, 2)
            except OSError:
                message, fds = b"", []
            if len(message) == 8 and len(fds) == 2:
                return _Worker(
                    int.from_bytes(message, "little"),
                    Connection(fds[0], readable=False),
                    Connection(fds[1], writable=False),
                )
            for fd in fds:
                os.close(fd)
            logger.warning("the grading zygote died (attempt %d); starting a new one", attempt + 1)
            self._stop_zygote()
        raise RuntimeError(f"cannot start grading workers after {_MAX_FAILURES} attempts (preload={self.preload})")

    def _ensure_started(self) -> None:
        if self._pid != os.getpid():
            self._workers, self._zygote, self._control = [], None, None
            self._pid = os.getpid()
        while len(self._workers) < self.size:
            self._workers.append(self._fork())
        _register(self)

    @staticmethod
    def _stop(worker: _Worker) -> None:
        _kill(worker.pid)
        for conn in (worker.tasks, worker.results):
            try:
                conn.close()
            except OSError:
                pass

    def _replace(self, slot: int) -> None:
        self._stop(self._workers[slot])
        self._workers[slot] = self._fork()
        self.respawns += 1

    def run(
        self, calls: Sequence[tuple[Callable, tuple]], timeout: float, keys: Sequence[Hashable] | None = None
    ) -> list[tuple[str, Any]]:
        """Run ``func(*args)`` for each call; returns ``(status, value)`` per call, in order.

        ``keys`` (optional, one per call): calls with the same key preferably run on the same worker, which can
        then reuse what it cached for that key. ``status`` is ``"ok"`` (value = the result), ``"err"`` (value = the exception text), ``"timeout"`` (the
        worker ran past ``timeout`` seconds and was killed) or ``"crash"`` (the worker died). The time limit of a
        call starts when a ready worker receives it.
        """
        if timeout <= 0:
            raise ValueError(f"timeout must be positive, got {timeout}")
        payloads = [pickle.dumps(call, protocol=pickle.HIGHEST_PROTOCOL) for call in calls]
        results: list[tuple[str, Any] | None] = [None] * len(calls)
        with self._lock:
            self._ensure_started()
            if keys is not None and len(keys) != len(calls):
                raise ValueError(f"got {len(keys)} keys for {len(calls)} calls")
            queue = _Queue(len(calls), keys)
            while True:
                for slot, worker in enumerate(list(self._workers)):
                    if worker.ready and worker.task is None and queue:
                        index = queue.pop(worker, self._workers)
                        try:
                            worker.tasks.send_bytes(payloads[index])
                        except OSError:
                            queue.push_front(index)
                            self._replace(slot)
                            continue
                        worker.task = index
                        worker.deadline = time.monotonic() + timeout
                busy = [w for w in self._workers if w.task is not None]
                if not queue and not busy:
                    break
                waiting = [w for w in self._workers if w.task is not None or not w.ready]
                wait_for = max(0.0, min(w.deadline for w in busy) - time.monotonic()) if busy else _STARTUP_TIMEOUT
                readable = set(wait([w.results for w in waiting], timeout=wait_for))
                if not readable and not busy:
                    raise RuntimeError(f"grading workers not ready after {_STARTUP_TIMEOUT} s")
                for slot, worker in enumerate(list(self._workers)):
                    if worker.results not in readable:
                        continue
                    try:
                        kind, value = worker.results.recv()
                    except (EOFError, OSError):
                        if worker.task is not None:
                            results[worker.task] = (CRASH, None)
                            logger.warning("grading worker %d died on task %d; forking a replacement", worker.pid, worker.task)
                        self._failures += 1
                        if self._failures > _MAX_FAILURES * self.size + len(calls):
                            raise RuntimeError("grading workers keep dying; see their tracebacks on stderr") from None
                        self._replace(slot)
                        continue
                    if kind == "ready":
                        worker.ready = True
                    elif worker.task is not None:
                        results[worker.task] = (kind, value)
                        worker.task = None
                        worker.deadline = math.inf
                now = time.monotonic()
                for slot, worker in enumerate(list(self._workers)):
                    if worker.task is not None and worker.deadline <= now:
                        results[worker.task] = (TIMEOUT, None)
                        self._replace(slot)
            self._failures = 0
        return [r if r is not None else (CRASH, None) for r in results]

    def warm_up(self) -> None:
        """Start the processes now and wait until every worker is ready (otherwise the first call does it)."""
        self.run([(int, ("1",))] * self.size, timeout=_STARTUP_TIMEOUT)

    def close(self) -> None:
        """Stop all processes (idempotent). The pool starts again on its next call."""
        with self._lock:
            if self._pid != os.getpid():
                self._workers, self._zygote, self._control = [], None, None
                return
            for worker in self._workers:
                try:
                    worker.tasks.send(None)
                except OSError:
                    pass
            end = time.monotonic() + 1.0
            for worker in self._workers:
                while time.monotonic() < end and _alive(worker.pid):
                    time.sleep(0.01)
                self._stop(worker)
            self._workers = []
            self._stop_zygote()

    @property
    def pids(self) -> list[int]:
        """Process ids of the workers (not the zygote)."""
        return [w.pid for w in self._workers]

    @property
    def zygote_pid(self) -> int | None:
        return self._zygote.pid if self._zygote is not None else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


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
    """The shared pool for this size, preload and memory limit (created on first use, started on first call)."""
    size = default_num_workers() if num_workers is None else int(num_workers)
    key = (size, tuple(preload), int(memory_limit_mb))
    with _POOLS_LOCK:
        pool = _POOLS.get(key)
        if pool is None:
            pool = _POOLS[key] = WorkerPool(size, preload, memory_limit_mb)
        return pool


def close_all() -> None:
    """Stop the processes of every started pool (registered with ``atexit``)."""
    with _POOLS_LOCK:
        pools = list(_STARTED)
    for pool in pools:
        pool.close()
