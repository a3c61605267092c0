"""Smoke test: ``python -m benchmarks.run --quick`` prints one table with every trainer row filled in."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import bench_trainer

REPO = Path(__file__).resolve().parents[2]
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def _table_rows(stdout: str) -> list[list[str]]:
    lines = [line for line in stdout.splitlines() if line.startswith("| ")]
    header, rows = lines[0], lines[1:]
    assert header == "| benchmark | reference | median | min–max | unit | target | met | notes |"
    return [[cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]] for line in rows]


@pytest.mark.slow
def test_quick_harness_prints_every_row(tmp_path):
    env = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONPATH=str(REPO))
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--quick"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    out = proc.stdout
    assert out.startswith("Machine: ") and "torch " in out and "trl " in out and " cores" in out
    assert "Command: `python -m benchmarks.run --quick`" in out
    rows = _table_rows(out)
    by_name = {row[0]: row for row in rows}

    expected = [label for label, *_ in bench_trainer.COMPARISONS] + [bench_trainer.RSS_LABEL]
    for label in expected:
        assert label in by_name, f"missing row {label!r}"
        benchmark, reference, median, spread, unit, target, met, notes = by_name[label]
        low, high = spread.split("–")
        assert all(NUMBER.match(v) for v in (median, low, high)), by_name[label]
        assert float(low) <= float(median) <= float(high)
        assert 0.3 < float(median) < 3.0, f"{label}: implausible ratio {median}"
        assert unit == "x" and ("≤ " in target or "±" in target) and met in ("yes", "**no**")

    for row in rows:
        if row[0] in expected:
            continue
        median, spread, met = row[2], row[3], row[6]
        if met == "—":
            assert row[7], f"a row that measured nothing must say why: {row}"
        else:
            assert NUMBER.match(median) and all(NUMBER.match(v) for v in spread.split("–")), row
            assert met in ("yes", "**no**"), row
