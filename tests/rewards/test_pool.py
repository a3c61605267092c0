"""The worker pool behind accuracy and with_timeout: statuses, hard kills, replacement, reuse, parallelism,
memory limit, fork safety, shutdown."""

from __future__ import annotations

import math
import os
import time

import pytest

from rewards._pool import CRASH, ERROR, OK, TIMEOUT, WorkerPool, default_num_workers, get_pool

from ._procs import alive


def big_power() -> int:
    """A C-level big-integer computation: holds the GIL, ignores signals, runs for minutes."""
    return pow(9, 9**9).bit_length()


def raise_value_error(x):
    raise ValueError(f"bad {x}")


def allocate(n_bytes: int) -> int:
    return len(bytearray(n_bytes))




@pytest.fixture(scope="module")
def pool():
    pool = WorkerPool(2, memory_limit_mb=1024)
    pool.warm_up()
    yield pool
    pool.close()


def test_statuses_in_order(pool):
    calls = [(math.factorial, (5,)), (raise_value_error, (3,)), (os._exit, (3,)), (big_power, ()), (abs, (-2,))]
    start = time.monotonic()
    got = pool.run(calls, timeout=1.0)
    assert time.monotonic() - start < 1.0 + 2.0
    assert got == [(OK, 120), (ERROR, "ValueError: bad 3"), (CRASH, None), (TIMEOUT, None), (OK, 2)]


def test_timed_out_worker_is_killed_and_replaced(pool):
    pool.warm_up()
    before, zygote = pool.pids, pool.zygote_pid
    got = pool.run([(big_power, ())], timeout=0.5)
    assert got == [(TIMEOUT, None)]
    killed = set(before) - set(pool.pids)
    assert len(killed) == 1
    deadline = time.monotonic() + 5
    while any(alive(p) for p in killed) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not any(alive(p) for p in killed)
    assert pool.zygote_pid == zygote  # replacements are forked from the same warm zygote
    start = time.monotonic()
    assert pool.run([(abs, (-1,))] * 4, timeout=5) == [(OK, 1)] * 4
    assert time.monotonic() - start < 1.0


def test_pool_is_reused_without_new_processes(pool):
    pool.run([(abs, (1,))] * 2, timeout=5)
    before = pool.pids
    for _ in range(5):
        pool.run([(abs, (1,))] * 10, timeout=5)
    assert pool.pids == before


def test_tasks_run_in_parallel(pool):
    pool.warm_up()
    start = time.monotonic()
    assert pool.run([(time.sleep, (1.0,))] * 2, timeout=10) == [(OK, None)] * 2
    assert time.monotonic() - start < 1.8


def pid_after(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def test_calls_with_the_same_key_stay_on_one_worker(pool):
    pool.warm_up()
    keys = [k for k in "abcd" for _ in range(6)]
    got = pool.run([(pid_after, (0.01,))] * len(keys), timeout=10, keys=keys)
    pids_by_key = {k: {pid for (_, pid), key in zip(got, keys) if key == k} for k in "abcd"}
    # without keys the two workers alternate and every key is split; with keys at most the last one is shared
    assert sum(len(p) == 1 for p in pids_by_key.values()) >= 3
    assert {pid for p in pids_by_key.values() for pid in p} == set(pool.pids)  # both workers were used
    with pytest.raises(ValueError, match="got 1 keys for 2 calls"):
        pool.run([(abs, (1,))] * 2, timeout=5, keys=["a"])


def test_time_limit_counts_from_dispatch():
    single = WorkerPool(1)
    try:
        single.warm_up()
        got = single.run([(time.sleep, (0.4,))] * 3, timeout=1.0)  # 1.2 s in total, 0.4 s each
        assert got == [(OK, None)] * 3
    finally:
        single.close()


def test_memory_limit_turns_runaway_allocation_into_an_error(pool):
    status, message = pool.run([(allocate, (2 * 1024**3,))], timeout=10)[0]
    assert status == ERROR and message.startswith("MemoryError")
    assert pool.run([(allocate, (1024,))], timeout=10) == [(OK, 1024)]


def test_forked_child_gets_its_own_pool(pool):
    pool.warm_up()
    parent_pids = pool.pids
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            ok = pool.run([(abs, (-3,))], timeout=10) == [(OK, 3)]
            code = 0 if ok and not set(pool.pids) & set(parent_pids) else 2
            pool.close()
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert pool.pids == parent_pids
    assert pool.run([(abs, (-4,))], timeout=5) == [(OK, 4)]


def test_close_stops_processes_and_restarts_on_demand():
    local = WorkerPool(2)
    local.run([(abs, (1,))], timeout=5)
    pids, zygote = local.pids, local.zygote_pid
    local.close()
    assert local.pids == [] and local.zygote_pid is None
    assert not any(alive(p) for p in [*pids, zygote])
    local.close()
    assert local.run([(abs, (-1,))], timeout=5) == [(OK, 1)]
    local.close()


def test_shared_pools_and_sizes(monkeypatch):
    assert get_pool(2, ("rewards.accuracy:warm_up",)) is get_pool(2, ("rewards.accuracy:warm_up",))
    assert get_pool(2) is not get_pool(1)
    cores = len(os.sched_getaffinity(0))
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "2")
    assert default_num_workers() == max(1, cores // 2)
    monkeypatch.delenv("LOCAL_WORLD_SIZE")
    assert default_num_workers() == cores
    with pytest.raises(ValueError, match="at least one worker"):
        WorkerPool(0)
    with pytest.raises(ValueError, match="timeout must be positive"):
        WorkerPool(1).run([(abs, (1,))], timeout=0)
