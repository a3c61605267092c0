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


# ---------------------------------------------------------------- the two GSM8K "#### x" sources of accuracy_data

RFT_ROWS = [  # (completion, gold, maj_1s): labels and our scores by hand below
    ("She sells 16 - 3 - 4 = 9 eggs.\n9 * 2 = 18\n#### 18", "Janet sells 9 eggs.\n#### 18", "1"),
    ("Final answer: #### 4 6", "4 + 6 = 10 boxes are left.\n#### 10", "0"),
    ("Final answer: 7", "#### 7", "0"),  # no "####": not in the style, left out
    ("13 - 6 = 7 apples are left.\n#### 13", "#### 7", "0"),
]
LLAMA_ROWS = [  # (index, completion, gold, source's is_correct)
    (0, "He has 3 + 2 = <<3+2=5>>5 toys.\n#### 5", "He has 5 toys.\n#### 5", True),
    (1, "He walks 2,000 steps.\n#### 2,000", "#### 2000", False),  # the source's comma bug: right, labelled wrong
]


def write_hash_sources(raw):
    import csv

    folder = raw / "rft-gsm8k"
    folder.mkdir(parents=True)
    with open(folder / "results_microsoft-Phi-3.5-mini-instruct_.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["questions", "sampled_completions", "ground_truth_completions", "maj_1s"])
        for completion, gold, label in RFT_ROWS:
            writer.writerow(["q", completion, gold, label])
    run = raw / "gsm8k-rft-llama7b" / "output_x"
    run.mkdir(parents=True)
    generations = [
        {"index": k, "gsm8k_data": {"question": "q", "answer": gold}, "input_str": "", "output_str": completion}
        for k, completion, gold, _ in LLAMA_ROWS
    ]
    (run / "gen_datas.jsonl").write_text("".join(json.dumps(g) + "\n" for g in generations))
    graded = [dict(g, is_correct=label) for g, (*_, label) in zip(generations, LLAMA_ROWS)]
    (run / "correct.json").write_text(json.dumps([g for g in graded if g["is_correct"]]))
    (run / "wrong.json").write_text(json.dumps([g for g in graded if not g["is_correct"]]))
    return run


def test_hash_sources_are_read_with_their_labels(tmp_path):
    from benchmarks import accuracy_data

    write_hash_sources(tmp_path)
    records = {r["id"]: r for r in accuracy_data.build(tmp_path)}
    assert sorted(records) == [
        "gsm8k-rft-llama7b/output_x/0", "gsm8k-rft-llama7b/output_x/1",
        "rft-gsm8k/base/0", "rft-gsm8k/base/1", "rft-gsm8k/base/3",
    ]
    assert {r["style"] for r in records.values()} == {"hash"}
    assert [records[f"rft-gsm8k/base/{k}"]["label"] for k in (0, 1, 3)] == [True, False, False]
    assert [records[f"gsm8k-rft-llama7b/output_x/{k}"]["label"] for k in (0, 1)] == [True, False]
    assert records["rft-gsm8k/base/0"]["model"] == "Phi-3.5-mini-instruct"
    assert records["rft-gsm8k/base/1"]["solution"] == "4 + 6 = 10 boxes are left.\n#### 10"
    # 7 is written before the final "#### 13"; "4 6" has no operator and no 10
    assert records["rft-gsm8k/base/3"]["traps"] == ["gold_elsewhere"]
    assert records["rft-gsm8k/base/1"]["traps"] == []


def test_hash_source_with_inconsistent_grades_is_named(tmp_path):
    from benchmarks import accuracy_data

    run = write_hash_sources(tmp_path)
    (run / "wrong.json").write_text("[]")
    with pytest.raises(ValueError, match="output_x: correct.json \\+ wrong.json do not grade every completion"):
        accuracy_data.build(tmp_path)


def test_hash_row_from_built_sources(tmp_path):
    from benchmarks import accuracy_data

    write_hash_sources(tmp_path / "raw")
    out = tmp_path / "labels.jsonl"
    assert accuracy_data.main(["--raw", str(tmp_path / "raw"), "--out", str(out)]) == 0
    rows = {row["benchmark"]: row for row in bench.run(quick=True, data=out)}
    hash_row = rows["accuracy labels: hash (n=5)"]
    # labels T F F T F; ours by hand 1 0 0 1 1 (2,000 is 2000): 4 of 5 agree, 1 of 3 wrong ones scored 1.0
    assert hash_row["median"] == pytest.approx(80.0) and hash_row["met"] is False
    assert "2 right / 3 wrong" in hash_row["notes"] and "FP rate 33.33 /" in hash_row["notes"]
