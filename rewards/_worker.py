"""Entry point of a grading worker process (see :mod:`rewards._pool`).

Started as ``python -c "...; main(task_fd, result_fd, preload)"``: a fresh interpreter that never imports the
parent's ``__main__`` (so unguarded training scripts are safe) and never inherits its threads or CUDA state.
Protocol over two pipes (pickled messages, :class:`multiprocessing.connection.Connection` framing):

- parent → worker: ``(function, args)`` per task, or ``None`` to exit;
- worker → parent: ``("ready", pid)`` once after the preload functions ran, then ``("ok", value)`` or
  ``("err", "Type: message")`` per task.
"""

from __future__ import annotations

import importlib
import os
import pickle
import signal
import sys
import threading
import time
from multiprocessing.connection import Connection


def _resolve(ref: str):
    module, _, attr = ref.partition(":")
    obj = importlib.import_module(module)
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


def main(task_fd: int, result_fd: int, preload: list[str], parent: int, memory_limit_mb: int = 0) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _exit_with_parent(parent)
    tasks = Connection(task_fd, writable=False)
    results = Connection(result_fd, readable=False)
    _limit_memory(memory_limit_mb)
    for ref in preload:
        _resolve(ref)()
    results.send(("ready", os.getpid()))
    while True:
        try:
            payload = tasks.recv_bytes()
        except (EOFError, OSError):
            break
        try:
            message = pickle.loads(payload)
        except Exception as err:
            results.send(("err", f"cannot unpickle the task in the worker: {type(err).__name__}: {err}"))
            continue
        if message is None:
            break
        func, args = message
        try:
            reply = ("ok", func(*args))
        except Exception as err:
            reply = ("err", f"{type(err).__name__}: {err}")
        try:
            results.send(reply)
        except Exception as err:
            results.send(("err", f"cannot pickle the result: {type(err).__name__}: {err}"))
    sys.exit(0)
