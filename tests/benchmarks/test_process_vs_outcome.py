"""The process-vs-outcome experiment's analysis on hand-made results: the table, the decision rule, the figure, the
commands it runs and its registration in ``benchmarks.run`` (the experiment itself is run by the benchmark command)."""

from __future__ import annotations

import json
import sys

import pytest

from benchmarks import experiment
from benchmarks import process_vs_outcome as pvo
from benchmarks import run as harness


def result(arm, seed, after, before=0.02, spc=(3.0, 3.0), tps=(8.7, 8.7), steps=100):
    curve = [{"step": 0, "accuracy": before, "steps_per_completion": spc[0], "tokens_per_step": tps[0]},
             {"step": steps, "accuracy": after, "steps_per_completion": spc[1], "tokens_per_step": tps[1]}]
    train = [{"step": s, "rewards/accuracy/mean": before + (after - before) * s / steps} for s in range(1, steps + 1)]
    return {
        "arm": arm, "seed": seed, "eval_accuracy_before": before, "eval_accuracy_after": after,
        "steps_per_completion_before": spc[0], "steps_per_completion_after": spc[1],
        "tokens_per_step_before": tps[0], "tokens_per_step_after": tps[1], "steps": steps, "wall_time_s": 120.0,
        "eval_curve": curve, "train_curve": train,
    }


def arms(outcome, sums, mins, sum_spc=(3.0, 3.0)):
    return (
        [result("outcome", s, a) for s, a in enumerate(outcome)]
        + [result("process-sum", s, a, spc=sum_spc) for s, a in enumerate(sums)]
        + [result("process-min", s, a) for s, a in enumerate(mins)]
    )


def test_mean_std_by_hand():
    assert pvo.mean_std([0.5, 0.7]) == pytest.approx((0.6, 0.1414213562))  # sqrt(((-.1)^2 + .1^2) / 1)
    assert pvo.mean_std([0.4]) == (0.4, 0.0)


def test_decision_clear_winner_and_goal():
    # min: mean 0.80, sd 0.0158; sum: mean 0.60, sd 0.0158; 2 SE of the difference = 2 * sqrt(2 * 0.00025 / 5) = 0.02
    results = arms([0.70, 0.72, 0.68, 0.71, 0.69], [0.60, 0.62, 0.58, 0.61, 0.59], [0.80, 0.82, 0.78, 0.81, 0.79])
    decision = pvo.decide(results)
    assert decision["process_credit"] == "min"
    assert decision["reason"] == "held-out accuracy after: sum - min = -0.200, 2 SE = 0.020: process-min ahead"
    assert decision["gain_over_outcome"] == pytest.approx(0.10) and decision["goal_met"]


def test_decision_tie_goes_to_min_and_goal_can_fail():
    results = arms([0.70] * 5, [0.70, 0.74, 0.66, 0.72, 0.68], [0.71, 0.67, 0.73, 0.69, 0.70])  # 0.70 each
    decision = pvo.decide(results)
    assert decision["process_credit"] == "min" and decision["reason"].endswith("a tie on both, the tie-break (min)")
    assert decision["gain_over_outcome"] == pytest.approx(0.0) and not decision["goal_met"]


def test_decision_sum_wins_when_clearly_ahead():
    results = arms([0.5] * 5, [0.9, 0.91, 0.89, 0.9, 0.9], [0.6, 0.61, 0.59, 0.6, 0.6])
    assert pvo.decide(results)["process_credit"] == "sum"


def test_decision_falls_back_to_the_curve_mean():
    # equal final accuracy (0.9 each), but process-sum got there earlier: its curve mean is 0.8 vs 0.6
    results = arms([0.5] * 5, [0.9] * 5, [0.9] * 5)
    for r in results:
        middle = 0.7 if r["arm"] == "process-sum" else 0.3
        r["eval_curve"].insert(1, {"step": 50, "accuracy": middle, "steps_per_completion": 3.0, "tokens_per_step": 8.7})
    assert pvo.curve_mean(results[5]) == pytest.approx(0.8) and pvo.curve_mean(results[10]) == pytest.approx(0.6)
    decision = pvo.decide(results)
    assert decision["process_credit"] == "sum" and decision["reason"].startswith("held-out accuracy after: sum - min")
    assert "mean held-out accuracy over the curve: sum - min = +0.200" in decision["reason"]


def test_goal_needs_no_fall_in_steps_per_completion():
    # min is healthy (2.8 >= 0.9 x 3.0) but its steps fell by 0.2 > 0.05: the goal is not met
    results = arms([0.5] * 5, [0.6] * 5, [0.0] * 5)
    for r in results:
        if r["arm"] == "process-min":
            r["eval_accuracy_after"] = 0.9
            r["steps_per_completion_after"] = 2.8
    decision = pvo.decide(results)
    assert decision["process_credit"] == "min" and not decision["goal_met"]


def test_decision_excludes_an_arm_that_stopped_emitting_steps():
    # process-sum is the most accurate but its steps per completion fell from 3.0 to 1.5 (< 0.9 x 3.0)
    results = arms([0.5] * 5, [0.95] * 5, [0.6] * 5, sum_spc=(3.0, 1.5))
    decision = pvo.decide(results)
    assert not pvo.healthy([r for r in results if r["arm"] == "process-sum"])
    assert decision["process_credit"] == "min" and decision["reason"] == "only process-min is healthy"
    assert decision["gain_over_outcome"] == pytest.approx(0.1) and decision["goal_met"]


def test_table_has_mean_std_per_seed_and_paired_gain():
    results = arms([0.5, 0.7], [0.6, 0.6], [0.8, 0.6])
    table = pvo.results_table(results)
    lines = table.splitlines()
    assert lines[0].startswith("| arm | held-out accuracy before | after (mean ± std) | after, per seed")
    outcome, total, minimum = lines[2], lines[3], lines[4]
    assert outcome.startswith("| outcome | 0.020 ± 0.000 | 0.600 ± 0.141 | 0: 0.500, 1: 0.700 | — | 0.600 ± 0.141 |")
    assert total.startswith("| process-sum | 0.020 ± 0.000 | 0.600 ± 0.000 | 0: 0.600, 1: 0.600 | 0.000 ± 0.141 |")
    # paired gains: 0.8 - 0.5 = 0.3 and 0.6 - 0.7 = -0.1: mean 0.1, sd sqrt((0.2^2 + 0.2^2) / 1) = 0.283
    assert minimum.startswith("| process-min | 0.020 ± 0.000 | 0.700 ± 0.141 | 0: 0.800, 1: 0.600 | 0.100 ± 0.283 |")
    assert "3.000 ± 0.000 → 3.000 ± 0.000" in minimum and "8.700 ± 0.000 → 8.700 ± 0.000" in minimum


def test_curves_png(tmp_path):
    path = pvo.plot_curves(arms([0.5, 0.7], [0.6, 0.6], [0.8, 0.6]), tmp_path / "curves.png", "title")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000


def test_curve_means_only_over_common_steps():
    rows = [result("outcome", 0, 0.5, steps=10), result("outcome", 1, 0.7, steps=10)]
    rows[1]["eval_curve"].insert(1, {"step": 5, "accuracy": 0.3, "steps_per_completion": 3, "tokens_per_step": 8})
    steps, means, stds = experiment.curve(rows, "eval_curve", "accuracy")
    assert steps == [0, 10] and means == pytest.approx([0.02, 0.6]) and stds[1] == pytest.approx(0.1414213562)


def test_commands_and_reuse(tmp_path):
    arm = pvo.ARMS[2]
    command = pvo.run_command(arm, 3, tmp_path / "x")
    assert command[:4] == [sys.executable, "-m", "grpo_plus.cli", "train"]
    assert command[command.index("--config") + 1].endswith("configs/demo_steps_process.yaml")
    assert command[command.index("--seed") + 1] == "3"
    assert command[command.index("--process_credit") + 1] == "min"
    assert [a.name for a in pvo.ARMS] == ["outcome", "process-sum", "process-min"]
    assert "--process_credit" not in pvo.run_command(pvo.ARMS[0], 0, tmp_path)
    # an existing summary is reused without running anything
    run_dir = tmp_path / "process-min-seed3"
    run_dir.mkdir()
    saved = {k: v for k, v in result("process-min", 3, 0.9).items() if k not in ("arm", "seed", "train_curve")}
    (run_dir / "demo_summary.json").write_text(json.dumps(saved))
    (run_dir / "trainer_state.json").write_text(json.dumps({"log_history": [
        {"step": 1, "rewards/accuracy/mean": 0.25, "loss": 0.1}, {"step": 1, "train_runtime": 3.0},
    ]}))
    loaded = pvo.run_one(arm, 3, tmp_path)
    assert loaded["arm"] == "process-min" and loaded["seed"] == 3 and loaded["eval_accuracy_after"] == 0.9
    assert loaded["train_curve"] == [{"step": 1, "rewards/accuracy/mean": 0.25}]


def test_registered_in_the_harness_but_not_run_by_default(monkeypatch):
    assert "process_vs_outcome" in harness.EXPERIMENTS and "process_vs_outcome" not in harness.MODULES
    ran = []
    monkeypatch.setattr(harness, "run_module", lambda name, quick: ran.append(name) or [])
    assert harness.main(["--only", "process_vs_outcome"]) == 0
    assert harness.main([]) == 0
    assert ran == ["process_vs_outcome", *harness.MODULES]


def test_harness_rows_carry_the_decision():
    results = arms([0.70] * 3, [0.6] * 3, [0.8] * 3)
    rows = pvo.harness_rows(results, pvo.decide(results))
    by_name = {r["benchmark"]: r for r in rows}
    minimum = by_name["process_vs_outcome: process-min, held-out accuracy after"]
    assert minimum["median"] == pytest.approx(0.8) and minimum["met"] is True and "+0.100" in minimum["notes"]
    assert by_name["process_vs_outcome: process-sum, held-out accuracy after"]["met"] is False
    assert "process_credit = 'min'" in by_name["process_vs_outcome: decision"]["notes"]


def test_report_prints_the_table_decision_and_load(capsys):
    results = arms([0.5] * 2, [0.6] * 2, [0.7] * 2)
    for i, r in enumerate(results):
        r["load_average_1min"] = [1.0 + i / 10, 2.5]
    text = pvo.report(results, quick=False, png=pvo.RESULTS_PNG)
    assert capsys.readouterr().out.strip() == text
    assert "load average at the start and end of the runs: 1.0–2.5" in text
    assert "3 arms x 2 seeds, [100] optimizer steps per run" in text
    assert "Decision: process_credit = 'min'" in text and "Learning curves: benchmarks/results/process_vs_outcome.png" in text
