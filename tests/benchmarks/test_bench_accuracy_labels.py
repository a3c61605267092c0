"""bench_accuracy_labels on a tiny hand-written labelled file: confusion counts derived by hand, one row per style,
audited labels used, a note row with build instructions when the data is absent, registration in benchmarks.run."""

from __future__ import annotations

import json
import math

import pytest

from benchmarks import bench_accuracy_labels as bench
from benchmarks import run as bench_run

# (style, completion, gold, source label, audited label, traps) — scores of our reward by hand: 1, 0, 1, 1, 0, 1
RECORDS = [
    ("plain_text", "She sold 48 + 24 = 72 clips.\nA: 72", "Natalia sold 24 clips in May.\n#### 72", True, True, []),
    ("plain_text", "She has 13 eggs, not 18.\nA: 26", "#### 18", False, False, ["gold_elsewhere"]),
    ("answer_is", "Let's think step by step. 5 + 7 = 12.\nTherefore, the answer (arabic numerals) is 12.", "12", True,
     True, []),
    ("boxed", r"So the probability is $\boxed{\frac{1}{2}}$.", r"\frac12", True, True, []),
    ("tagged", "<think>7 + 6</think> <answer>7+6</answer>", "13", False, False, ["expression"]),
    ("tagged", "<think>counting</think> <answer> 21 values </answer>", "21", False, True, []),
]


@pytest.fixture
def tiny_file(tmp_path):
    path = tmp_path / "labels.jsonl"
    with open(path, "w") as f:
        for k, (style, completion, gold, label, audited, traps) in enumerate(RECORDS):
            record = {
                "id": f"hand/{k}", "source": "hand-written", "model": "none", "style": style, "question": "",
                "completion": completion, "solution": gold, "label": label, "label_audited": audited,
                "audit_reason": None if label == audited else "right answer with a unit", "traps": traps,
            }
            f.write(json.dumps(record) + "\n")
    return path


def test_confusion_counts_by_hand():
    got = bench.confusion([True, True, False, False, False], [1.0, 0.0, 1.0, 0.0, None])
    assert (got["tp"], got["fn"], got["fp"], got["tn"]) == (1, 1, 1, 2)
    assert got["agreement"] == pytest.approx(60.0)
    assert got["precision"] == pytest.approx(50.0)
    assert got["recall"] == pytest.approx(50.0)
    assert got["fp_rate"] == pytest.approx(100 / 3)
    assert math.isnan(bench.confusion([False], [0.0])["precision"])


def test_rows_on_a_hand_written_file(tiny_file):
    rows = {row["benchmark"]: row for row in bench.run(quick=True, data=tiny_file)}
    plain = rows["accuracy labels: plain_text (n=2)"]
    assert plain["median"] == 100.0 and plain["met"] is True
    assert "1 right / 1 wrong" in plain["notes"] and plain["reference"].startswith("trl.rewards.accuracy_reward")
    tagged = rows["accuracy labels: tagged (n=2)"]
    # graded against the audited label: "21 values" is right, so the source's False would count as a disagreement
    assert tagged["median"] == 100.0 and "1 source labels corrected" in tagged["notes"]
    everything = rows["accuracy labels: all styles (n=6)"]
    assert everything["median"] == 100.0 and "4 right / 2 wrong" in everything["notes"]
    traps = rows["accuracy labels: wrong answers a lenient rule accepts (n=2)"]
    assert traps["median"] == 0.0 and "ours scored 0 of them 1.0" in traps["notes"]
    assert "accuracy labels: multi_box" not in " ".join(rows)
    throughput = rows["accuracy labels throughput: boxed"]
    assert throughput["met"] is None and "cannot fill" in throughput["notes"]


def test_missing_data_gives_a_note_row_with_instructions(tmp_path, monkeypatch):
    monkeypatch.setenv(bench.ENV_VAR, str(tmp_path / "absent.jsonl"))
    rows = bench.run(quick=True)
    assert len(rows) == 1 and rows[0]["met"] is None
    assert "python -m benchmarks.accuracy_data" in rows[0]["notes"] and bench.ENV_VAR in rows[0]["notes"]


def test_data_path_order(tmp_path, monkeypatch):
    explicit, env = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    explicit.write_text("")
    env.write_text("")
    monkeypatch.setenv(bench.ENV_VAR, str(env))
    assert bench.data_path(explicit) == explicit
    assert bench.data_path() == env


def test_bad_record_is_named(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"id": "x", "style": "poem"}) + "\n")
    with pytest.raises(ValueError, match=r"line 1: record lacks the fields \['completion'"):
        bench.load(path)


def test_registered_in_the_harness():
    assert "accuracy_labels" in bench_run.MODULES
