"""Processes behind :mod:`rewards._pool`: a zygote that forks warm grading workers.

The zygote is a fresh interpreter (``python -c "...; zygote(...)"``): it never imports the trainer's ``__main__``
(unguarded training scripts are safe), has no threads and no CUDA state, runs the preload functions once (imports
and warm-up), freezes the objects they created out of the garbage collector's reach (``gc.freeze``: workers then
neither scan nor copy-on-write them, 10-20% less CPU per task), then forks one worker per request from its control
socket. A worker forked from the warm zygote is ready in milliseconds, which is what lets the pool replace a killed
worker without stalling the batch.

Protocols:

- control socket (parent ↔ zygote): zygote sends ``b"R"`` once ready; the parent sends ``b"F"`` per worker wanted;
  the zygote answers with the worker's pid (8 bytes) and two file descriptors (task pipe write end, result pipe read
  end) passed with ``SCM_RIGHTS``. EOF on the socket makes the zygote exit.
- worker pipes (:class:`multiprocessing.connection.Connection` framing, pickled messages): the worker sends
  ``("ready", pid)``, then per task it receives ``(function, args)`` (``None`` to exit) and answers
  ``("ok", value)`` or ``("err", "Type: message")``.
"""

from __future__ import annotations

import gc
import importlib
import logging
import os
import pickle
import signal
import socket
import threading
import time
from multiprocessing.connection import Connection

logger = logging.getLogger(__name__)

# Grading allocates many short-lived sympy objects: collect the young generation less often (about 5% less CPU).
_GC_THRESHOLDS = (50_000, 20, 100)


def _resolve(ref: str):
    module, _, attr = ref.partition(":")
    obj = importlib.import_module(module)
    if not attr:
        return None
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def _exit_with_parent(parent: int) -> None:
    """Exit when the parent process is gone (checked every second; a busy C loop delays this until it returns)."""

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _limit_memory(limit_mb: int) -> None:
    if limit_mb <= 0:
        return
    try:
        import resource

        limit = limit_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):
        pass


def worker(task_fd: int, result_fd: int, memory_limit_mb: int) -> None:
    """The task loop of one worker (runs in a process forked by the zygote)."""
    gc.set_threshold(*_GC_THRESHOLDS)
    _exit_with_parent(os.getppid())
    _limit_memory(memory_limit_mb)
    tasks = Connection(task_fd, writable=False)
    results = Connection(result_fd, readable=False)
    results.send(("ready", os.getpid()))
    while True:
        try:
            payload = tasks.recv_bytes()
        except (EOFError, OSError):
            return
        try:
            message = pickle.loads(payload)
        except Exception as err:
            results.send(("err", f"cannot unpickle the task in the worker: {type(err).__name__}: {err}"))
            continue
        if message is None:
            return
        func, args = message
        try:
            reply = ("ok", func(*args))
        except Exception as err:
            reply = ("err", f"{type(err).__name__}: {err}")
        try:
            results.send(reply)
        except Exception as err:
            results.send(("err", f"cannot pickle the result: {type(err).__name__}: {err}"))


def zygote(control_fd: int, preload: list[str], memory_limit_mb: int) -> None:
    """Preload, then fork a worker for every ``b"F"`` received on the control socket; exit on EOF."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    control = socket.socket(fileno=control_fd)
    for ref in preload:
        func = _resolve(ref)
        if func is not None:
            func()
    gc.freeze()
    control.sendall(b"R")
    while True:
        try:
            request = control.recv(1)
        except OSError:
            request = b""
        if not request:
            os._exit(0)
        task_r, task_w = os.pipe()
        result_r, result_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                control.close()
                os.close(task_w)
                os.close(result_r)
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                worker(task_r, result_w, memory_limit_mb)
            except BaseException:
                logger.exception("grading worker %d failed", os.getpid())
                code = 1
            finally:
                os._exit(code)
        os.close(task_r)
        os.close(result_w)
        try:
            socket.send_fds(control, [pid.to_bytes(8, "little")], [task_w, result_r])
        except OSError:
            os._exit(0)
        finally:
            os.close(task_w)
            os.close(result_r)
