"""Unit tests for the benchmark helpers: statistics, the table, step interleaving, the harness's note rows."""

from __future__ import annotations

import math
import sys
import types

import pytest

from benchmarks import run as harness
from benchmarks.common import (
    TurnScheduler,
    capture_rng,
    format_table,
    format_value,
    make_row,
    note_row,
    paired_ratios,
    summarize,
)


def test_summarize_and_paired_ratios():
    assert summarize([3.0, 1.0, 2.0, 10.0]) == (2.5, 1.0, 10.0)
    assert paired_ratios([2.0, 3.0], [1.0, 4.0]) == [2.0, 0.75]
    with pytest.raises(ValueError, match="2 numerators but 1 denominators"):
        paired_ratios([1.0, 2.0], [1.0])
    with pytest.raises(ValueError):
        summarize([])


def test_make_row_and_note_row():
    row = make_row("b", "ref", [1.0, 1.2, 1.1], "x", "≤ 1.03x", False, "n")
    assert (row["median"], row["min"], row["max"], row["met"]) == (1.1, 1.0, 1.2, False)
    note = note_row("bench_x", "missing")
    assert note["met"] is None and math.isnan(note["median"])


@pytest.mark.parametrize(
    ("value", "text"), [(1.0234, "1.023"), (12.34, "12.3"), (593.7, "594"), (math.nan, "—"), (None, "—")]
)
def test_format_value(value, text):
    assert format_value(value) == text


def test_format_table():
    rows = [
        make_row("a|b", "TRL", [0.99, 1.01, 1.0], "x", "≤ 1.03x", True, "note"),
        make_row("c", "k3", [1.5], "x", "≤ 1.02x", False, ""),
        note_row("bench_rewards", "not run"),
    ]
    lines = format_table(rows).splitlines()
    assert lines[0] == "| benchmark | reference | median | min–max | unit | target | met | notes |"
    assert lines[2] == "| a\\|b | TRL | 1.000 | 0.990–1.010 | x | ≤ 1.03x | yes | note |"
    assert lines[3] == "| c | k3 | 1.500 | 1.500–1.500 | x | ≤ 1.02x | **no** |  |"
    assert lines[4] == "| bench_rewards |  | — | — |  |  | — | not run |"
    with pytest.raises(ValueError, match="lacks the keys"):
        format_table([{"benchmark": "x"}])


def test_turn_scheduler_alternates_direction_and_times_each_turn():
    log = []

    def job(name, steps):
        def body(turn):
            for step in range(steps):
                log.append((name, step))
                turn.end()
            log.append((name, "done"))
            return name

        return body

    scheduler = TurnScheduler(3)
    assert scheduler.run([job("A", 3), job("B", 3), job("C", 2)]) == ["A", "B", "C"]
    order = [entry[0] + str(entry[1]) for entry in log]
    # cycles A B C, C B A, A B C, then B A: C finishes in its third turn and leaves the rotation
    assert order == ["A0", "B0", "C0", "C1", "B1", "A1", "A2", "B2", "Cdone", "Bdone", "Adone"]
    assert [len(d) for d in scheduler.durations] == [3, 3, 2]
    assert all(d >= 0.0 for ds in scheduler.durations for d in ds)


def test_turn_scheduler_gives_each_job_its_own_rng_stream():
    import torch

    def draws(turn=None, steps=4):
        out = []
        for _ in range(steps):
            out.append(torch.rand(1).item())
            if turn is not None:
                turn.end()
        return out

    torch.manual_seed(1)
    state_a = capture_rng()
    alone_a = draws()
    torch.manual_seed(2)
    state_b = capture_rng()
    alone_b = draws()
    interleaved = TurnScheduler(2, [state_a, state_b]).run([lambda t: draws(t), lambda t: draws(t)])
    assert interleaved == [alone_a, alone_b]


def test_turn_scheduler_reraises_a_job_error():
    def good(turn):
        for _ in range(3):
            turn.end()

    def bad(turn):
        turn.end()
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        TurnScheduler(2).run([good, bad])


def test_harness_turns_missing_and_failing_modules_into_note_rows(monkeypatch):
    rows = harness.run_module("does_not_exist", quick=True)
    assert len(rows) == 1 and rows[0]["met"] is None
    assert "does not exist yet" in rows[0]["notes"]

    broken = types.ModuleType("benchmarks.bench_broken")

    def run(quick=False):
        raise RuntimeError("bad input")

    broken.run = run
    monkeypatch.setitem(sys.modules, "benchmarks.bench_broken", broken)
    rows = harness.run_module("broken", quick=True)
    assert rows[0]["notes"] == "failed: RuntimeError: bad input"
