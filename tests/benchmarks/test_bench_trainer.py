"""bench_trainer's rows from synthetic measurements (ratios worked out by hand), and its variants' configs."""

from __future__ import annotations

import pytest

from benchmarks import bench_trainer

PLAN = {"steps": 5, "discard": 2}


def _repeat(cpu: dict[str, list[float]]) -> dict:
    """Synthetic repeat: wall time is twice the CPU time, TRL's step_time 0.1 s less than the wall time."""
    return {
        name: {
            "cpu": values,
            "turns": [2 * v for v in values],
            "step_time": [2 * v - 0.1 for v in values],
            "steps_per_completion": 4.0 if name == "process" else None,
            "hotspots": {"_sampling_kl": 0.05} if name == "kl_in_reward" else {},
            "informative": [2.0 if name == "dynamic" else 1.0] * len(values),
            "rounds": [99.0, 99.0, 2.0, 1.0, 3.0] if name == "dynamic" else [],
        }
        for name, values in cpu.items()
    }


def _cpu(k3_value: float, others: dict[str, float]) -> dict[str, list[float]]:
    # the first two turns (setup, warm-up) are huge and must be discarded
    values = {name: [99.0, 50.0, v, v, v] for name, v in others.items()}
    values["k3"] = [99.0, 50.0, k3_value, k3_value, k3_value]
    return values


def test_timing_rows_are_per_repeat_ratios_of_median_cpu_times():
    names = [v for v in bench_trainer.VARIANTS if v != "k3"]
    repeats = [
        _repeat(_cpu(1.0, {n: 1.0 for n in names} | {"trl": 0.8, "kl_in_reward": 1.01, "k3_again": 1.03, "dynamic": 1.5})),
        _repeat(_cpu(2.0, {n: 2.0 for n in names} | {"trl": 2.0, "kl_in_reward": 2.2, "k3_again": 2.0})),
        _repeat(_cpu(1.0, {n: 1.0 for n in names} | {"trl": 1.0, "kl_in_reward": 1.05, "k3_again": 0.97})),
    ]
    rows = {r["benchmark"]: r for r in bench_trainer.timing_rows({"repeats": repeats}, PLAN)}
    assert len(rows) == len(bench_trainer.COMPARISONS) + 2
    dynamic = rows[bench_trainer.DYNAMIC_LABEL]
    # CPU per informative group, dynamic (2 groups) over TRL (1 group): 1.5/2 / 1.0 = 0.75, then 2/2/2 = 0.5, 0.5
    assert (dynamic["median"], dynamic["min"], dynamic["max"]) == pytest.approx((0.5, 0.5, 0.75))
    rounds = rows[bench_trainer.ROUNDS_LABEL]
    assert (rounds["median"], rounds["max"], rounds["met"]) == (2.0, 3.0, True)  # the two discarded turns left out
    vs_trl = rows["GRPOPlusTrainer k3, outcome: time/step"]
    # k3 / trl per repeat: 1.0/0.8 = 1.25, 2.0/2.0 = 1.0, 1.0/1.0 = 1.0
    assert (vs_trl["median"], vs_trl["min"], vs_trl["max"]) == pytest.approx((1.0, 1.0, 1.25))
    assert vs_trl["met"] is True and vs_trl["target"] == "≤ 1.03x"
    # wall = 2 x cpu gives the same ratios; step_time = wall - 0.1: (2.0-0.1)/(1.6-0.1), 1.0, 1.0 -> median 1.0
    assert "wall-time ratio 1.000 (1.000–1.250)" in vs_trl["notes"]
    assert "TRL step_time ratio 1.000" in vs_trl["notes"]
    kir = rows["kl_in_reward=True (k3): time/step"]
    # 1.01, 1.1, 1.05 -> median 1.05 > 1.02
    assert (kir["median"], kir["min"], kir["max"]) == pytest.approx((1.05, 1.01, 1.1))
    assert kir["met"] is False
    # 50 ms per step against k3's median CPU step of 1.0 s (medians over repeats: 1.0, 2.0, 1.0)
    assert "CPU in _sampling_kl 50.0 ms/step (5.0%)" in kir["notes"]
    control = rows[bench_trainer.AA_LABEL]
    assert control["median"] == pytest.approx(1.0) and control["met"] is True
    assert (control["min"], control["max"]) == pytest.approx((0.97, 1.03))
    process = rows["reward_mode=process: time/step"]
    assert process["median"] == pytest.approx(1.0) and "(4.0 per completion)" in process["notes"]


def test_hotspots_are_trainer_methods():
    """The methods whose CPU time the notes report exist on the trainer (a missing one raises when wrapped)."""
    from grpo_plus import GRPOPlusTrainer

    for names in bench_trainer.HOTSPOTS.values():
        for name in names:
            assert callable(getattr(GRPOPlusTrainer, name)), name


def test_rss_row():
    mib = 1024 * 1024
    pairs = [
        ({"peak_rss": 500 * mib, "children": 0}, {"peak_rss": 510 * mib, "children": 0}),
        ({"peak_rss": 500 * mib, "children": 0}, {"peak_rss": 530 * mib, "children": 1}),
    ]
    row = bench_trainer.rss_row(pairs, 20)
    assert (row["min"], row["max"]) == pytest.approx((1.02, 1.06))
    assert row["median"] == pytest.approx(1.04) and row["met"] is True
    assert "500 vs 520 MiB" in row["notes"] and "child processes at the end: 1" in row["notes"]


def test_variants_differ_from_k3_only_in_the_compared_field():
    assert bench_trainer.VARIANTS["trl"][0] == "trl"
    assert bench_trainer.VARIANTS["k3_again"] == bench_trainer.VARIANTS["k3"]
    for name in ("k1", "k2", "k1+", "k3+"):
        assert bench_trainer.VARIANTS[name] == ("plus", {"kl_estimator": name})
    assert bench_trainer.VARIANTS["kl_in_reward"][1] == {"kl_estimator": "k3", "kl_in_reward": True}
    assert bench_trainer.VARIANTS["process"][1]["reward_mode"] == "process"
    assert {c[1] for c in bench_trainer.COMPARISONS} | {"trl", "trl_mixed", "dynamic"} == set(bench_trainer.VARIANTS)
    # dynamic sampling against TRL: the same prompts and reward, only dynamic_sampling differs
    assert bench_trainer.VARIANTS["trl_mixed"] == ("trl", {"_reward": "mixed"})
    assert bench_trainer.VARIANTS["dynamic"][1]["_reward"] == "mixed" and bench_trainer.VARIANTS["dynamic"][1]["dynamic_sampling"]


@pytest.mark.slow
def test_interleaved_runs_reproduce_solo_runs(tmp_path):
    """Two trainers interleaved step by step draw the same samples as each one alone (same losses, rewards, KL)."""
    from grpo_plus.demo.tiny import save_tiny_model

    model_dir = save_tiny_model(tmp_path / "tiny")
    bench_trainer._quiet()
    interleaved = bench_trainer._interleaved_repeat(["trl", "kl_in_reward"], model_dir, 3, str(tmp_path / "runs"))
    assert [len(interleaved[v]["turns"]) for v in ("trl", "kl_in_reward")] == [3, 3]
    assert len(interleaved["trl"]["step_time"]) == 3
    for variant in ("trl", "kl_in_reward"):
        trainer = bench_trainer.build_trainer(variant, model_dir, str(tmp_path / f"solo-{variant}"), 3)
        trainer.train()
        solo = [(h["loss"], h["reward"], h["kl"]) for h in trainer.state.log_history if "loss" in h]
        together = [(h["loss"], h["reward"], h["kl"]) for h in interleaved[variant]["history"] if "loss" in h]
        assert together == solo
