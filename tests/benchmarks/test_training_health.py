"""The training-health experiment's plumbing on hand-made results: its arms and their command lines (each parsed into
a valid config), the cost metrics, the decision rules, the tables, the results JSON and its registration in
``benchmarks.run`` (the experiment itself is run by the benchmark command, not by the tests)."""

from __future__ import annotations

import dataclasses
import json
import math
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

from benchmarks import experiment
from benchmarks import run as harness
from benchmarks import training_health as th
from grpo_plus.demo.evaluation import auc, pass_at_k

REPO = Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------------------------------------------- arms
def test_arms_are_built_as_declared():
    arms = th.arms()
    assert [a.name for a in arms] == [
        "baseline", "dynamic_sampling", "clip_cov", "kl_cov", "baseline_mu2", "entropy_bonus", "k3_loss",
        "k1_reward", "k3plus_loss", "adaptive_kl", "process", "baseline_batch", "k1_reward_batch",
        "baseline_none", "k1_reward_none",
    ]
    assert all(a.seeds == (0, 1, 2) for a in arms)
    by_name = {a.name: a for a in arms}
    assert by_name["baseline"].cli == ["--config", "configs/demo_chains_outcome.yaml"]
    assert by_name["process"].cli == ["--config", "configs/demo_chains_process.yaml"]
    assert by_name["k1_reward"].cli == ["--config", "configs/demo_chains_outcome.yaml", "--beta", "0.04",
                                        "--kl_estimator", "k1", "--kl_in_reward", "true"]
    assert by_name["k1_reward_batch"].cli == by_name["k1_reward"].cli + ["--scale_rewards", "batch"]
    assert by_name["baseline_batch"].cli == by_name["baseline"].cli + ["--scale_rewards", "batch"]
    assert th.flag_value(by_name["kl_cov"].flags, "--num_iterations", "1") == "2"
    assert [a.name for a in th.arms(names=["k3_loss", "baseline"])] == ["baseline", "k3_loss"]  # protocol order
    with pytest.raises(ValueError, match="unknown training_health arms"):
        th.arms(names=["k2_loss"])


def test_every_arm_flag_is_in_the_protocol():
    """The docstring (the pre-registered protocol) names every arm and each of its flags with its value."""
    doc = th.__doc__
    for arm in th.arms():
        assert f"``{arm.name}``" in doc, arm.name
        if arm.flags:
            assert " ".join(arm.flags) in doc.replace("\n  ", " "), arm.name


@pytest.fixture(scope="module")
def parsed():
    """Every arm's cli (with the seed and output folder the runner adds) parsed by ``grpo-plus train``'s parser."""
    from grpo_plus import cli

    here = Path.cwd()
    try:
        import os

        os.chdir(REPO)
        out = {}
        for arm in th.arms():
            training_args, _, data_args, _ = cli.parse_train_args([*arm.cli, "--seed", "2", "--output_dir", "/tmp/th"])
            cli.check_rewards(training_args)
            out[arm.name] = (training_args, data_args)
        return out
    finally:
        os.chdir(here)


# the fields each arm changes relative to baseline (flags at a config default, e.g. --max_resample_rounds 3, change
# nothing); process: configs/demo_chains_process.yaml differs from the outcome config only in its reward fields
EXPECTED_CHANGES = {
    "dynamic_sampling": {"dynamic_sampling": True},
    "clip_cov": {"entropy_control": "clip_cov"},
    "kl_cov": {"entropy_control": "kl_cov", "kl_cov_ratio": 0.002, "kl_cov_coef": 1.0, "num_iterations": 2},
    "baseline_mu2": {"num_iterations": 2},
    "entropy_bonus": {"entropy_coef": 0.001},
    "k3_loss": {"beta": 0.04},
    "k1_reward": {"beta": 0.04, "kl_estimator": "k1", "kl_in_reward": True},
    "k3plus_loss": {"beta": 0.04, "kl_estimator": "k3+"},
    "adaptive_kl": {"beta": 0.04, "kl_target": 0.1, "kl_horizon": 640},
    "process": {"reward_mode": "process", "reward_funcs": ["chain_steps", "accuracy", "format"]},
    "baseline_batch": {"scale_rewards": "batch"},
    "baseline_none": {"scale_rewards": "none"},
    "k1_reward_none": {"beta": 0.04, "kl_estimator": "k1", "kl_in_reward": True, "scale_rewards": "none"},
    "k1_reward_batch": {"beta": 0.04, "kl_estimator": "k1", "kl_in_reward": True, "scale_rewards": "batch"},
}


def test_every_arm_cli_parses_into_a_valid_config_that_differs_from_baseline_only_by_its_flags(parsed):
    from grpo_plus import GRPOPlusConfig

    base_args, _ = parsed["baseline"]
    assert isinstance(base_args, GRPOPlusConfig)
    assert base_args.beta == 0.0 and base_args.reward_mode == "outcome" and base_args.seed == 2
    assert base_args.max_steps == 100 and base_args.per_device_train_batch_size == th.COMPLETIONS_PER_STEP
    names = [f.name for f in dataclasses.fields(GRPOPlusConfig)]
    for arm, (args, data_args) in parsed.items():
        assert isinstance(args, GRPOPlusConfig) and data_args.demo_task == "chains", arm
        changed = {n: getattr(args, n) for n in names if getattr(args, n) != getattr(base_args, n)}
        assert changed == EXPECTED_CHANGES.get(arm, {}), arm


def test_every_arm_config_is_accepted_by_grpo_plus_config_directly():
    """``GRPOPlusConfig(**fields)`` with each arm's fields: the flag combinations pass __post_init__'s checks."""
    from grpo_plus import GRPOPlusConfig

    for arm, changes in EXPECTED_CHANGES.items():
        args = GRPOPlusConfig(**{"output_dir": "/tmp/th", "use_cpu": True, "bf16": False,
                                 "reward_funcs": ["accuracy"], **changes})
        assert all(getattr(args, k) == v for k, v in changes.items()), arm
    with pytest.raises(ValueError, match="entropy_coef"):  # why the entropy bonus is its own arm
        GRPOPlusConfig(output_dir="/tmp/th", use_cpu=True, bf16=False, entropy_control="clip_cov", entropy_coef=0.001)


# ---------------------------------------------------------------------------------------------------- metrics
def test_completions_generated_and_gain_per_completions_by_hand():
    assert th.completions_generated(100, 64) == 6400
    assert th.completions_generated(100, 64, rounds=1.5) == 9600  # dynamic sampling: 1.5 rounds per batch
    assert th.completions_generated(100, 64, num_iterations=2) == 3200  # one generation batch per 2 steps
    # 0.06 -> 0.30 is +0.24 over 9600 completions: 0.24 * 10000 / 9600 = 0.25
    assert th.gain_per_completions(0.06, 0.30, 9600) == pytest.approx(0.25)
    with pytest.raises(ValueError):
        th.completions_generated(100, 64, rounds=0.5)
    with pytest.raises(ValueError):
        th.gain_per_completions(0.1, 0.2, 0)


def test_add_cost_reads_rounds_and_num_iterations():
    arms = {a.name: a for a in th.arms()}
    row = {"steps": 100, "eval_sampled_accuracy_before": 0.06, "eval_sampled_accuracy_after": 0.30,
           "train_metrics": {"dynamic_sampling/rounds": 1.5}}
    ds = th.add_cost(row, arms["dynamic_sampling"])
    assert ds["completions_generated"] == 9600 and ds["gain_per_10k_completions"] == pytest.approx(0.25)
    kl_cov = th.add_cost({**row, "train_metrics": {}}, arms["kl_cov"])
    assert kl_cov["completions_generated"] == 3200 and kl_cov["gain_per_10k_completions"] == pytest.approx(0.75)
    quick = th.add_cost({**row, "steps": 2, "train_metrics": {}}, arms["baseline"], per_step=16)
    assert quick["completions_generated"] == 32


def test_pass_at_k_on_hand_counts():
    # Chen et al. 2021: 1 - C(n - c, k) / C(n, k)
    assert pass_at_k(0, 8, 8) == 0.0 and pass_at_k(1, 8, 8) == 1.0
    assert pass_at_k(2, 8, 1) == pytest.approx(0.25)  # 2 right of 8, one draw
    assert pass_at_k(1, 4, 2) == pytest.approx(0.5)  # 1 - C(3, 2) / C(4, 2) = 1 - 3 / 6
    # four held-out chains with 0, 1, 8, 0 right draws of 8: pass@8 = (0 + 1 + 1 + 0) / 4
    assert sum(pass_at_k(c, 8, 8) for c in (0, 1, 8, 0)) / 4 == 0.5


HAND_CURVE = [0.06, 0.10, 0.30, 0.50, 0.70]  # sampled accuracy at steps 0, 25, 50, 75, 100


def summary(arm, seed, curve=HAND_CURVE, pass8=0.5, spc=(6.0, 6.0), entropy=(0.40, 0.30), kl=0.02,
            length=(48.0, 47.0), cpu=0.96, rounds=None, steps=100):
    """A hand-made run: its AUC is the mean of the curve after step 0 ((0.10 + 0.30 + 0.50 + 0.70) / 4 = 0.40 for the
    hand curve), its pass@8 the last point's."""
    points = [{"step": 25 * i, "sampled_accuracy": a, "pass_at_k": pass8 if i == len(curve) - 1 else 0.2,
               "entropy": entropy[0], "kl_to_reference": 0.0, "completion_length": length[0]}
              for i, a in enumerate(curve)]
    return {
        "arm": arm, "seed": seed, "steps": steps, "eval_curve": points,
        "eval_sampled_auc": sum(curve[1:]) / (len(curve) - 1),
        "eval_sampled_accuracy_before": curve[0], "eval_sampled_accuracy_after": curve[-1],
        "eval_accuracy_before": 0.07, "eval_accuracy_after": 0.8, "eval_pass_at_8_after": pass8,
        "eval_entropy_before": entropy[0], "eval_entropy_after": entropy[1], "eval_kl_to_reference_after": kl,
        "eval_completion_length_before": length[0], "eval_completion_length_after": length[1],
        "steps_per_completion_before": spc[0], "steps_per_completion_after": spc[1],
        "train_cpu_s": cpu * steps, "cpu_s_per_step": cpu, "wall_time_s": 300.0,
        "train_metrics": {} if rounds is None else {"dynamic_sampling/rounds": rounds},
        "train_curve": [{"step": 1, "rewards/accuracy/mean": 0.1}],
    }


def shifted(arm, seed, delta, **kwargs):
    """The hand curve with every point after step 0 raised by ``delta`` (so the AUC rises by exactly ``delta``)."""
    return summary(arm, seed, curve=[HAND_CURVE[0]] + [a + delta for a in HAND_CURVE[1:]], **kwargs)


def test_auc_on_the_hand_curve_and_the_summary_check():
    row = summary("baseline", 0)
    assert auc(row["eval_curve"], "sampled_accuracy") == pytest.approx(0.40)
    assert row["eval_sampled_auc"] == pytest.approx(0.40)
    th.check_run(row)  # consistent: no error
    with pytest.raises(ValueError, match="eval_sampled_auc"):
        th.check_run({**row, "eval_sampled_auc": 0.55})
    with pytest.raises(ValueError, match="eval_pass_at_8_after"):
        th.check_run({**row, "eval_pass_at_8_after": 0.9})


def test_verdict_by_hand():
    # d = 0.05, 0.06, 0.07: mean 0.06, sd 0.01, 2 SE = 2 * 0.01 / sqrt(3) = 0.0115
    assert th.paired_se([0.05, 0.06, 0.07]) == pytest.approx(0.01 / math.sqrt(3))
    assert th.verdict([0.05, 0.06, 0.07], [0.0, 0.0, 0.0]) == "helps"
    assert th.verdict([0.05, 0.06, 0.07], [-0.05, -0.04, -0.03]) == "no detectable effect"  # pass@8 loss 0.04 > 0.03
    assert th.verdict([0.05, 0.06, 0.07], [-0.03, -0.03, -0.03]) == "helps"  # exactly at the tolerance
    assert th.verdict([-0.05, -0.06, -0.07], []) == "hurts"
    assert th.verdict([0.10, -0.01, 0.10], []) == "no detectable effect"  # not positive at 3 of 3 seeds
    # d = 0.01, 0.20, 0.01: mean 0.0733, sd sqrt((0.0633² · 2 + 0.1267²) / 2) = 0.1097, 2 SE = 0.1267 > mean
    assert th.verdict([0.01, 0.20, 0.01], []) == "no detectable effect"
    assert th.verdict([0.05], []) == "no detectable effect"  # one seed: no standard error


def hand_results():
    """Three seeds per arm. baseline AUC 0.40 at every seed; each other arm's AUC = 0.40 + the deltas below."""
    deltas = {
        "dynamic_sampling": (0.06, 0.07, 0.07),  # helps per step ...
        "clip_cov": (0.03, 0.04, 0.05),  # helps
        "kl_cov": (0.05, 0.06, 0.07),  # helps against baseline ...
        "baseline_mu2": (0.05, 0.06, 0.07),  # ... but so does its control: kl_cov - mu2 = 0 at every seed
        "entropy_bonus": (0.08, 0.09, 0.10),  # helps, but unhealthy (5 steps per completion at the end, not 6)
        "k3_loss": (-0.02, -0.03, -0.04),  # hurts
        "k1_reward": (0.00, 0.01, -0.01),  # no detectable effect
        "k3plus_loss": (0.00, 0.00, 0.00),  # +0.03 over k3_loss at every seed: helps against k3_loss
        "adaptive_kl": (-0.02, -0.03, -0.04),  # = k3_loss
        "process": (0.10, 0.10, 0.10),
        "baseline_batch": (0.02, 0.02, 0.02),
        "baseline_none": (0.01, 0.00, -0.01),
        "k1_reward_none": (-0.09, -0.10, -0.12),  # vs baseline_none -0.10, -0.10, -0.11: -0.11 fails rule B
        "k1_reward_batch": (-0.05, -0.06, -0.07),  # vs baseline_batch -0.07, -0.08, -0.09: all > -0.1
    }
    results = [summary("baseline", s) for s in range(3)]
    for arm, ds in deltas.items():
        for seed, d in enumerate(ds):
            kwargs = {}
            if arm == "dynamic_sampling":
                kwargs["rounds"] = 2.0
            if arm == "entropy_bonus":
                kwargs["spc"] = (6.0, 5.0)
            results.append(shifted(arm, seed, d, **kwargs))
    arms = {a.name: a for a in th.arms()}
    return [th.add_cost(r, arms[r["arm"]]) for r in results]


def test_decision_rules_on_hand_results():
    grouped = experiment.by_arm(hand_results(), list(th.ARMS))
    decision = th.decide(grouped)
    comparisons = decision["comparisons"]
    assert comparisons["clip_cov"]["baseline"]["verdict"] == "helps"
    assert comparisons["clip_cov"]["baseline"]["auc_gain"] == pytest.approx(0.04)
    assert comparisons["clip_cov"]["baseline"]["per_seed"] == pytest.approx([0.03, 0.04, 0.05])
    assert comparisons["kl_cov"]["baseline"]["verdict"] == "helps"
    assert comparisons["kl_cov"]["baseline_mu2"]["verdict"] == "no detectable effect"
    assert comparisons["k3_loss"]["baseline"]["verdict"] == "hurts"
    assert comparisons["k1_reward"]["k3_loss"]["per_seed"] == pytest.approx([0.02, 0.04, 0.03])
    assert comparisons["k3plus_loss"]["k3_loss"]["verdict"] == "helps"
    assert set(comparisons["adaptive_kl"]) == {"baseline", "k3_loss"} and "baseline" not in comparisons
    assert decision["healthy"]["entropy_bonus"] is False and decision["healthy"]["baseline"] is True
    defaults = decision["defaults"]
    # dynamic sampling: +0.0667 AUC per step, but 2 rounds: (0.70 + 0.0667 - 0.06) / 1.28 = 0.552 per 10k completions
    # against the baseline's (0.70 - 0.06) / 0.64 = 1.0
    assert defaults["dynamic_sampling"] == {"change": False, "helps_per_step": True,
                                            "at_least_baseline_per_completion": False}
    assert defaults["entropy_control"] == {"change": True, "to": "clip_cov"}  # kl_cov's gain is its control's
    assert defaults["kl_estimator"] == {"change": True, "to": "k3+"}
    assert defaults["recommend_kl_in_reward_k1"] is True  # +0.03 over k3_loss at every seed (0.02, 0.04, 0.03)
    assert defaults["recommend_adaptive_kl"] is False
    assert defaults["recommend_beta"] is False  # no KL arm helps against baseline
    assert defaults["recommend_entropy_bonus"] is False  # it helps, but unhealthy
    assert comparisons["k1_reward_batch"]["baseline_batch"]["per_seed"] == pytest.approx([-0.07, -0.08, -0.09])
    assert set(comparisons["k1_reward_batch"]) == {"baseline_batch", "k1_reward"}
    assert decision["amendment_2_group_scaling"] == "supported"
    assert comparisons["k1_reward_none"]["baseline_none"]["per_seed"] == pytest.approx([-0.10, -0.10, -0.11])
    assert decision["amendment_4_k1_reward_none_learns"] is False  # -0.11 at seed 2
    json.dumps(decision, allow_nan=False)


def test_amendment_rules_a_and_b_by_hand():
    def arm(name, aucs):
        return [{"arm": name, "seed": s, th.PRIMARY: a} for s, a in enumerate(aucs)]

    group = {"k1_reward": arm("k1_reward", (0.06, 0.06, 0.07)), "baseline_batch": arm("baseline_batch", (0.6,) * 3)}
    assert th.group_scaling_hypothesis(group) is None  # not run yet
    # 0.55 - 0.6 = -0.05 > -0.1 at every seed
    assert th.group_scaling_hypothesis({**group, "k1_reward_batch": arm("k", (0.55, 0.55, 0.55))}) == "supported"
    # one seed at -0.15: not supported; 0.45 - 0.06 is not within 0.1 of k1_reward: not refuted
    assert th.group_scaling_hypothesis({**group, "k1_reward_batch": arm("k", (0.55, 0.45, 0.55))}) == "inconclusive"
    # 0.10 - 0.06 = 0.04, 0.12 - 0.06 = 0.06, 0.08 - 0.07 = 0.01: all within 0.1 of k1_reward
    assert th.group_scaling_hypothesis({**group, "k1_reward_batch": arm("k", (0.10, 0.12, 0.08))}) == "refuted"
    # amendment 4's rule B: k1_reward_none - baseline_none > -0.1 at every seed
    none = {"baseline_none": arm("baseline_none", (0.6,) * 3)}
    assert th.learns_without_group_scaling(none) is None  # not run yet
    assert th.learns_without_group_scaling({**none, "k1_reward_none": arm("k", (0.55, 0.58, 0.52))}) is True
    assert th.learns_without_group_scaling({**none, "k1_reward_none": arm("k", (0.55, 0.45, 0.58))}) is False


def test_table_has_mean_std_per_seed_values_and_verdicts():
    results = hand_results()
    grouped = experiment.by_arm(results, list(th.ARMS))
    text = th.table(grouped, th.decide(grouped))
    lines = text.splitlines()
    assert lines[0].startswith("| arm | sampled AUC (mean ± std) | per seed | paired AUC gain: verdict")
    rows = {line.split(" | ")[0][2:]: line for line in lines[2:]}
    assert list(rows) == list(th.ARMS)
    assert rows["baseline"].startswith("| baseline | 0.400 ± 0.000 | 0: 0.400, 1: 0.400, 2: 0.400 | — |")
    # clip_cov: AUC 0.43, 0.44, 0.45: mean 0.44, sd 0.01
    assert rows["clip_cov"].startswith("| clip_cov | 0.440 ± 0.010 | 0: 0.430, 1: 0.440, 2: 0.450 "
                                       "| vs baseline +0.040 (3/3 > 0): helps |")
    assert ("vs baseline -0.030 (0/3 > 0): hurts; vs k3_loss +0.000 (0/3 > 0): no detectable effect"
            in rows["adaptive_kl"])
    # entropy 0.40 -> 0.30, KL 0.02, length 48 -> 47, CPU 0.96 s/step, 6400 completions, (0.70 - 0.06) / 0.64 = 1.0
    assert rows["baseline"].endswith("| 0.400 → 0.300 ± 0.000 | 0.020 ± 0.000 | 48.0 → 47.0 | 0.96 | 6400 "
                                     "| 1.000 ± 0.000 |")
    assert "| 12800 |" in rows["dynamic_sampling"] and "| 3200 |" in rows["kl_cov"]
    seeds = th.seed_table(grouped).splitlines()
    assert len(seeds) == 2 + 3 * len(th.ARMS)
    assert seeds[2] == ("| baseline | 0 | 0.400 | 0.700 | 0.500 | 0.300 | 0.0200 | 47.0 | 6.00 | 0.96 | 6400 |")


def test_results_json_has_the_declared_structure():
    results = hand_results()
    grouped = experiment.by_arm(results, list(th.ARMS))
    arms = th.arms()
    out = th.results_json(results, arms, th.decide(grouped), planned=45)
    text = json.dumps(out, allow_nan=False)  # strict JSON
    out = json.loads(text)
    assert set(out) == {"protocol", "runs_planned", "runs_done", "decision", "arms"}
    assert out["runs_planned"] == 45 and out["runs_done"] == 45
    assert list(out["arms"]) == list(th.ARMS)
    for arm in arms:
        entry = out["arms"][arm.name]
        assert entry["cli"] == arm.cli and list(entry["seeds"]) == ["0", "1", "2"]
        for figures in entry["seeds"].values():
            for key in ("eval_sampled_auc", "eval_sampled_accuracy_after", "eval_pass_at_8_after",
                        "eval_entropy_before", "eval_entropy_after", "eval_kl_to_reference_after",
                        "eval_completion_length_after", "cpu_s_per_step", "completions_generated",
                        "gain_per_10k_completions", "eval_curve"):
                assert key in figures, (arm.name, key)
    assert out["arms"]["clip_cov"]["seeds"]["2"]["eval_sampled_auc"] == pytest.approx(0.45)


def test_run_writes_the_json_table_and_figure(tmp_path, monkeypatch, capsys):
    """The full run's writing, on hand results (no training): JSON, markdown and PNG where declared."""
    monkeypatch.setattr(th, "RESULTS_JSON", tmp_path / "training_health.json")
    monkeypatch.setattr(th, "RESULTS_MD", tmp_path / "training_health.md")
    monkeypatch.setattr(th, "RESULTS_PNG", tmp_path / "training_health.png")
    monkeypatch.setattr(th, "prepare_warm_start", lambda: None)
    seen = {}

    def fake_execute(arm_list, runs_dir, extra=(), reuse=True, per_step=th.COMPLETIONS_PER_STEP):
        seen.update(runs_dir=runs_dir, extra=extra, per_step=per_step, arms=[a.name for a in arm_list])
        return hand_results()

    monkeypatch.setattr(th, "execute", fake_execute)
    rows = th.run(runs_dir=tmp_path / "runs")
    assert seen == {"runs_dir": tmp_path / "runs", "extra": (), "per_step": 64, "arms": list(th.ARMS)}
    out = json.loads((tmp_path / "training_health.json").read_text())
    assert out["arms"]["baseline"]["cli"] == ["--config", "configs/demo_chains_outcome.yaml"]
    assert "Runs done: 45 of 45 planned" in (tmp_path / "training_health.md").read_text()
    assert (tmp_path / "training_health.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    printed = capsys.readouterr().out
    assert "| clip_cov | 0.440 ± 0.010 |" in printed and "Decision: " in printed
    by_name = {r["benchmark"]: r for r in rows}
    clip = by_name["training_health: clip_cov sampled AUC gain over baseline (paired)"]
    assert clip["met"] is True and clip["median"] == pytest.approx(0.04)
    assert '"to": "clip_cov"' in by_name["training_health: defaults"]["notes"]


def test_a_run_of_some_arms_leaves_the_results_alone(tmp_path, monkeypatch, capsys):
    results_json = tmp_path / "training_health.json"
    results_json.write_text("{}\n")
    monkeypatch.setattr(th, "RESULTS_JSON", results_json)
    monkeypatch.setattr(th, "RESULTS_MD", tmp_path / "training_health.md")
    monkeypatch.setattr(th, "prepare_warm_start", lambda: None)
    monkeypatch.setattr(th, "execute", lambda arm_list, runs_dir, **kw: [r for r in hand_results()
                                                                          if r["arm"] in ("baseline", "clip_cov")])
    rows = th.run(runs_dir=tmp_path / "runs", names=["clip_cov", "baseline"])
    assert results_json.read_text() == "{}\n" and not (tmp_path / "training_health.md").exists()
    assert "| clip_cov | 0.440 ± 0.010 |" in capsys.readouterr().out
    assert any(r["benchmark"].startswith("training_health: clip_cov") for r in rows)


def test_registered_in_the_harness_but_not_run_by_default(monkeypatch):
    assert "training_health" in harness.EXPERIMENTS and "training_health" not in harness.MODULES
    ran = []
    monkeypatch.setattr(harness, "run_module", lambda name, quick: ran.append((name, quick)) or [])
    assert harness.main(["--only", "training_health", "--quick"]) == 0
    assert ran == [("training_health", True)]


def test_runner_commands_reproduce_the_cli(tmp_path):
    arm = {a.name: a for a in th.arms()}["adaptive_kl"]
    command = experiment.run_command(arm, 1, tmp_path / "d", th.QUICK_FLAGS)
    assert command[3:4 + len(arm.cli)] == ["train", *arm.cli]
    assert command[command.index("--seed") + 1] == "1" and command[command.index("--max_steps") + 1] == "2"


# ---------------------------------------------------------------------------------------------------- smoke
@pytest.mark.slow
def test_quick_mode_runs_end_to_end_on_a_tiny_warm_start(tmp_path, monkeypatch, capsys):
    """``run(quick=True)`` on two arms, the runner's commands executed in this process (``grpo-plus train`` with a
    3-step warm start and 4 held-out chains) instead of in subprocesses that could not see the patched task."""
    from grpo_plus import cli
    from grpo_plus.demo import chains_run

    monkeypatch.setenv("GRPO_PLUS_CACHE", str(tmp_path / "cache"))
    tasks = {name: dataclasses.replace(task, warm_start=dataclasses.replace(task.warm_start, steps=3))
             for name, task in chains_run.TASKS.items()}
    monkeypatch.setattr(chains_run, "TASKS", tasks)
    monkeypatch.setattr(chains_run, "EVAL_PROBLEMS", 4)
    monkeypatch.setattr(th, "PARALLEL", 1)
    monkeypatch.chdir(REPO)
    commands = []

    def in_process(command, **kwargs):
        commands.append(command)
        assert command[1:4] == ["-m", "grpo_plus.cli", "train"]
        return SimpleNamespace(returncode=cli.main([*command[3:], "--max_completion_length", "40"]))

    monkeypatch.setattr(experiment.subprocess, "run", in_process)
    rows = th.run(quick=True, names=["dynamic_sampling", "kl_cov"])
    assert subprocess.run is in_process and len(commands) == 2
    assert all(c[c.index("--seed") + 1] == "0" and c[c.index("--max_steps") + 1] == "2" for c in commands)
    printed = capsys.readouterr().out
    assert "Runs done: 2 of 2 planned" in printed
    completions = {line.split(" | ")[0][2:]: float(line.split(" | ")[-1].rstrip(" |"))
                   for line in printed.splitlines() if line.startswith(("| dynamic_sampling | 0 |", "| kl_cov | 0 |"))}
    assert completions["kl_cov"] == 16  # 2 steps x 16 completions / num_iterations 2
    assert completions["dynamic_sampling"] in (32, 48, 64, 80, 96, 112, 128)  # 2 steps x 16 x 1-4 rounds
    assert [r["benchmark"] for r in rows] == ["training_health: defaults"]  # no baseline: nothing to compare


def test_end_kl_is_remeasured_only_where_it_was_zero_and_must_reproduce_the_run(tmp_path, monkeypatch):
    """Deviation 1: a recorded KL of 0 is replaced by the re-measured one (kept in the run's folder), other rows are
    left alone, and a re-measurement that does not give the run's own accuracy and entropy is refused."""
    calls = []

    def fake_end_evaluation(run_dir, warm_start_dir):
        calls.append(run_dir.name)
        return {"sampled_accuracy": 0.8, "entropy": 0.02, "kl_to_reference": 0.123456}

    monkeypatch.setattr(th, "end_evaluation", fake_end_evaluation)
    for name in ("baseline-seed0", "baseline-seed1"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "model.safetensors").write_bytes(b"")
    row = {"arm": "baseline", "seed": 0, "eval_kl_to_reference_after": 0.0, "eval_sampled_accuracy_after": 0.8,
           "eval_entropy_after": 0.02}
    out = th.with_end_kl(row, tmp_path, "warm")
    assert out["eval_kl_to_reference_after"] == 0.12346 and out["kl_end_remeasured"] is True
    assert th.with_end_kl(row, tmp_path, "warm") == out and calls == ["baseline-seed0"]  # the second from the folder
    measured = {**row, "eval_kl_to_reference_after": 0.05}
    assert th.with_end_kl(measured, tmp_path, "warm") is measured
    no_weights = {**row, "seed": 2}
    assert th.with_end_kl(no_weights, tmp_path, "warm") is no_weights
    with pytest.raises(ValueError, match="baseline seed 1: re-measured sampled_accuracy 0.8000 is not the run's 0.7000"):
        th.with_end_kl({**row, "seed": 1, "eval_sampled_accuracy_after": 0.7}, tmp_path, "warm")
