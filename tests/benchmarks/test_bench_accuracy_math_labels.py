"""bench_accuracy_math_labels on a tiny hand-written labelled file (rows per style against the audited labels, the
98 % / 0.5 % targets), the note row when the data is absent, registration in benchmarks.run, and the builder's
style classifier on hand-written completions."""

from __future__ import annotations

import json

import pytest

from benchmarks import accuracy_math_data as data
from benchmarks import bench_accuracy_math_labels as bench
from benchmarks import run as bench_run

# (style, completion, gold, source label, audited label); our reward's scores by hand: 1, 1, 1, 0, 1, 0
RECORDS = [
    ("hash_answer", "The ratio is 3/5.\n\n# Answer\n\n\\frac{243}{625}", "\\frac{243}{625}", True, True),
    ("multi_value", "The roots are \\boxed{-2, 1}.", "1,-2", False, True),
    ("boxed", "So the total is \\boxed{32348}.", "\\$32,\\!348", True, True),
    ("boxed", "It is \\boxed{12} or \\boxed{13}.", "12", False, False),
    ("answer_phrase", "**Answer:** The smallest value of \\(n\\) is \\(n = 10\\).", "10", True, True),
    ("last_expression", "<think>so far 7 + 6 = 13", "13", False, False),
]


@pytest.fixture
def tiny_file(tmp_path):
    path = tmp_path / "labels.jsonl"
    with open(path, "w") as f:
        for k, (style, completion, gold, label, audited) in enumerate(RECORDS):
            record = {
                "id": f"hand/{k}", "source": "hand-written", "model": "none", "style": style, "question": "",
                "completion": completion, "solution": gold, "label": label, "label_audited": audited,
                "audit_reason": None if label == audited else "order-free set", "traps": [],
            }
            f.write(json.dumps(record) + "\n")
    return path


def test_rows_on_a_hand_written_file(tiny_file):
    rows = {row["benchmark"]: row for row in bench.run(quick=True, data=tiny_file)}
    boxed = rows[f"{bench.TITLE}: boxed (n=2)"]
    assert boxed["median"] == 100.0 and boxed["met"] is True and "≥ 98.0 %, FP ≤ 0.5 %" == boxed["target"]
    multi = rows[f"{bench.TITLE}: multi_value (n=1)"]
    assert multi["median"] == 100.0 and "1 source labels corrected" in multi["notes"]
    everything = rows[f"{bench.TITLE}: all styles (n=6)"]
    assert everything["median"] == 100.0 and "4 right / 2 wrong" in everything["notes"]
    assert f"{bench.TITLE}: bare_latex" not in " ".join(rows)


def test_missing_data_gives_a_note_row_with_instructions(tmp_path, monkeypatch):
    monkeypatch.setenv(bench.ENV_VAR, str(tmp_path / "absent.jsonl"))
    rows = bench.run(quick=True)
    assert len(rows) == 1 and rows[0]["met"] is None
    assert "python -m benchmarks.accuracy_math_data" in rows[0]["notes"] and bench.ENV_VAR in rows[0]["notes"]


def test_registered_in_the_runner():
    assert "accuracy_math_labels" in bench_run.MODULES


@pytest.mark.parametrize(
    "completion, gold, style",
    [
        ("So \\boxed{4}.", "4", "boxed"),
        ("So \\boxed{4}.", "4, 5", "multi_value"),
        ("So \\boxed{4}.", "1 \\pm \\sqrt{2}", "multi_value"),
        ("So \\boxed{4}.", "\\$32,\\!348", "boxed"),
        ("So \\boxed{4} and \\boxed{5}.", "4", "multi_value"),
        ("Steps.\n\n# Answer\n\n4", "4", "hash_answer"),
        ("The final answer is 4.", "4", "answer_phrase"),
        ("Multiply.\n\\frac{1}{2}", "\\frac{1}{2}", "bare_latex"),
        ("It is 4 apples in all.", "4", "last_expression"),
        ("<think>2 + 2 = 4</think> So \\boxed{4}.", "4", "think"),
        ("<think>2 + 2 = 4, so \\boxed{4}", "4", "think_unfinished"),
        ("<think>a</think> then <think>b", "4", "think_unfinished"),
    ],
)
def test_style_classifier(completion, gold, style):
    assert data.style_of(completion, gold) == style


def test_style_of_a_thinking_block_opened_by_the_prompt():
    prompt = "User: 2 + 2?\nAssistant: <think>"
    assert data.style_of("2 + 2 = 4 </think> <answer>4</answer>", "4", prompt) == "think"
    assert data.style_of("2 + 2 = 4, so \\boxed{4}", "4", prompt) == "think_unfinished"
    assert data.style_of("2 + 2 = 4, so \\boxed{4}", "4", "User: 2 + 2?\nAssistant:") == "boxed"


def test_cs6493_reader(tmp_path):
    folder = tmp_path / "cs6493-r1"
    (folder / "run_e0b959d8").mkdir(parents=True)
    problems = [{"problem": "2 + 2?", "answer": "4"}, {"problem": "Half of 1?", "answer": "\\frac{1}{2}"}]
    (folder / "math500_test.jsonl").write_text("".join(json.dumps(p) + "\n" for p in problems))
    files = {
        "deepseek-r1__cot__math500__math500_1.json": ("deepseek-r1", "cot", "<think>1 / 2 = 0.5, so", True),
        "qwen2.5-math__pvp__math500__math500_0.json": ("qwen2.5-math", "pvp", "So \\boxed{4}.", True),
        "qwen2.5-math__self_consistency__math500__math500_0.json": ("qwen2.5-math", "self_consistency", "4", True),
    }
    for name, (model, method, response, correct) in files.items():
        row = {"problem_id": name.split("__")[-1][:-5], "model_name": model, "prompt_method": method,
               "dataset": "math500", "raw_response": response, "is_correct": correct}
        (folder / "run_e0b959d8" / name).write_text(json.dumps(row))
    records = list(data.cs6493_r1(folder))
    assert [r["id"] for r in records] == ["cs6493/deepseek-r1/cot/math500_1", "cs6493/qwen2.5-math/pvp/math500_0"]
    assert [r["solution"] for r in records] == ["\\frac{1}{2}", "4"]
    assert [r["style"] for r in records] == ["think_unfinished", "boxed"]
    assert [data.family_of(r["model"]) for r in records] == ["DeepSeek-R1-Distill", "Qwen2.5-Math"]


def test_cs336_r1_zero_reader_keeps_the_prompt(tmp_path):
    folder = tmp_path / "cs336-r1-zero"
    folder.mkdir()
    prompt = "A conversation.\nUser: What is 2 + 2?\nAssistant: <think>"
    rows = [
        {"prompt": prompt, "ground_truth": "So $2 + 2 = \\boxed{4}$.",
         "response": " 2 + 2 = 4 </think> <answer> 4 </answer>",
         "metrics": {"format_reward": 1.0, "answer_reward": 1.0}},
        {"prompt": prompt, "ground_truth": "It is $\\boxed{\\frac{1}{2}}$.",
         "response": " Half of it is \\boxed{\\frac{1}{2}}", "metrics": {"format_reward": 0.0, "answer_reward": 0.0}},
        {"prompt": prompt, "ground_truth": "No box here.", "response": "4", "metrics": {"answer_reward": 0.0}},
    ]
    (folder / "qwen2.5-math-1.5b__math500_hf__results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    records = list(data.cs336_r1_zero(folder))
    assert [r["id"] for r in records] == ["cs336-r1-zero/qwen2.5-math-1.5b/math500_hf/0",
                                          "cs336-r1-zero/qwen2.5-math-1.5b/math500_hf/1"]
    assert [r["solution"] for r in records] == ["4", "\\frac{1}{2}"]
    assert [r["style"] for r in records] == ["think", "think_unfinished"]
    assert [r["label"] for r in records] == [True, False]
    assert records[0]["question"] == "What is 2 + 2?" and records[0]["prompt"] == prompt
    # our reward, given the prompt, scores the never-closed thinking 0 despite its right box
    from rewards import get_reward

    assert bench.score(get_reward("accuracy", num_workers=1), records) == [1.0, 0.0]


def test_simple_evals_ru_reader(tmp_path):
    folder = tmp_path / "simple-evals-ru"
    (folder / "results").mkdir(parents=True)
    problems = [
        {"id": 7, "problem": "Solve $x+1=6$.", "target": "x=5"},
        {"id": 9, "problem": "Half of 1?", "target": "\\frac 12"},
    ]
    (folder / "math.jsonl").write_text("".join(json.dumps(p) + "\n" for p in problems))
    rows = [
        {"id": 7, "answer": "So x is 5.\n\nAnswer: 5", "is_correct": True},
        {"id": 9, "answer": "", "is_correct": False},  # an API failure: no completion, left out
        {"id": 9, "answer": "It is \\boxed{0.4}", "is_correct": False},
    ]
    (folder / "results" / "04_llama_3_1_8b.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    records = list(data.simple_evals_ru(folder))
    assert [r["id"] for r in records] == ["simple-evals-ru/04_llama_3_1_8b/7", "simple-evals-ru/04_llama_3_1_8b/9"]
    assert [r["label"] for r in records] == [True, False]
    assert [r["solution"] for r in records] == ["x=5", "\\frac 12"]
    assert [r["style"] for r in records] == ["answer_phrase", "boxed"]
    assert records[0]["model"] == "Llama: Llama-3.1-8B-Instruct" and records[0]["question"] == "Solve $x+1=6$."
    assert data.family_of(records[0]["model"]) == "Llama"


def test_family_of_rl_sft_models():
    assert data.family_of("Qwen2.5-Math-7B (7B-eval-to)") == "Qwen2.5-Math"
    assert data.family_of("Mistral: IlyaGusev/saiga_nemo_12b (a Mistral-Nemo-12B fine-tune)") == "Mistral"


def test_trl_sample_keeps_every_small_group():
    records = [{"style": "boxed", "model": "Llama: a"}] * 3 + [{"style": "bare_latex", "model": "Gemini: b"}]
    assert bench.trl_sample(records, per_group=3) == [0, 1, 2, 3]
    picked = bench.trl_sample(records, per_group=1)
    # one boxed and one Llama record (the same or two), and the only bare_latex / Gemini record
    assert 3 in picked and 2 <= len(picked) <= 3


def test_quality_row_with_trl_on_a_sample():
    from benchmarks.bench_accuracy_labels import NOT_GRADED, _quality_row

    records = [{"label_audited": y, "label": y} for y in (True, False, True, False)]
    row = _quality_row("boxed", records, [1.0, 0.0, 0.0, 0.0], [1.0, NOT_GRADED, 0.0, NOT_GRADED])
    # ours on all four: 3 agree (75 %); TRL graded records 0 and 2 (both right): it agrees on 1 of 2, ours too
    assert row["median"] == 75.0
    assert "stratified sample of 2: 50.00 % agreement, — % FP (ours on the same sample: 50.00 %" in row["reference"]
