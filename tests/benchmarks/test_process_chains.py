"""The process_chains experiment's plumbing: arms as the protocol declares them (each cli parses into a valid config),
learning-rate picking, the pre-registered order, the decision rules on hand-made summaries, the JSON's structure."""

from __future__ import annotations

import statistics

import pytest

from benchmarks import experiment
from benchmarks import process_chains as pc

RATES = {"outcome": 3e-4, "partial": 1e-4, "process-sum": 1e-4, "process-min": 3e-4}


def test_arms_are_the_protocols():
    sparse, moderate, gameable, middle = pc.main_arms(RATES)
    assert {a.name: a.seeds for a in sparse} == {
        "outcome": (0, 1, 2, 3, 4), "outcome-ds": (0, 1, 2), "partial": (0, 1, 2),
        "process-sum": (0, 1, 2, 3, 4), "process-min": (0, 1, 2, 3, 4),
    }
    by_name = {a.name: a for a in sparse}
    assert by_name["outcome-ds"].cli == [
        "--config", "configs/demo_chains_outcome.yaml", "--dynamic_sampling", "true", "--learning_rate", "0.0003"]
    assert by_name["partial"].cli[-3:] == ["accuracy,format,chain_step_fraction", "--learning_rate", "0.0001"]
    assert [a.name for a in moderate] == ["moderate-outcome", "moderate-process-sum", "moderate-process-min"]
    assert all(a.cli[2:4] == ["--demo_task", "chains_moderate"] and a.seeds == (0, 1, 2) for a in moderate)
    assert [a.name for a in middle] == ["middle-outcome", "middle-process-sum", "middle-process-min"]
    assert all(a.cli[2:4] == ["--demo_task", "chains_middle"] and a.seeds == (0, 1, 2) for a in middle)
    assert len(gameable) == 4 and all(a.seeds == (0, 1) for a in gameable)
    assert sum(len(a.seeds) for a in sparse) == 21 and len(pc.tuning_arms()) == 8
    assert all(a.seeds == (100,) for a in pc.tuning_arms())


def test_every_arm_parses_into_a_valid_config():
    from grpo_plus import cli

    sparse, moderate, gameable, middle = pc.main_arms(RATES)
    for arm in [*pc.tuning_arms(), *sparse, *moderate, *gameable, *middle]:
        training_args, _, data_args, _ = cli.parse_train_args([*arm.cli, "--seed", "3", "--output_dir", "/tmp/x"])
        expected_task = {"moderate": "chains_moderate", "middle": "chains_middle"}.get(arm.name.split("-")[0], "chains")
        assert data_args.demo_task == expected_task
        expected_mode = "process" if arm.cli[1] == pc.PROCESS_CONFIG else "outcome"
        assert training_args.reward_mode == expected_mode, arm.name
        if arm.name.startswith("gamed-"):
            assert training_args.reward_kwargs == {"chain_steps": {"flip_rate": 0.2, "reward_restatements": True}}
            assert training_args.reward_funcs[0] == "chain_steps"


def test_learning_rate_per_family_ties_go_to_the_smaller():
    results = [
        {"arm": "tune-outcome-lr0.0001", "eval_sampled_auc": 0.30},
        {"arm": "tune-outcome-lr0.0003", "eval_sampled_auc": 0.40},
        {"arm": "tune-partial-lr0.0001", "eval_sampled_auc": 0.50},
        {"arm": "tune-partial-lr0.0003", "eval_sampled_auc": 0.50},
    ]
    assert pc.pick_rates(results) == {"outcome": 3e-4, "partial": 1e-4}


def test_order_is_sparse_first_seeds_then_gameable_middle_sparse_rest_moderate_then_middle_seed_2():
    jobs = pc.schedule(*pc.main_arms(RATES))
    names = [(a.name, s) for a, s in jobs]
    assert len(names) == 47
    assert names[:5] == [("outcome", 0), ("outcome-ds", 0), ("partial", 0), ("process-sum", 0), ("process-min", 0)]
    first_game = next(i for i, (n, _) in enumerate(names) if n.startswith("gamed-"))
    assert first_game == 15
    assert names[23:29] == [(f"middle-{a}", s) for s in (0, 1) for a in ("outcome", "process-sum", "process-min")]
    assert names[29:35] == [("outcome", 3), ("process-sum", 3), ("process-min", 3),
                            ("outcome", 4), ("process-sum", 4), ("process-min", 4)]
    assert names[35:44] == [(f"moderate-{a}", s) for s in (0, 1, 2) for a in ("outcome", "process-sum", "process-min")]
    assert names[44:] == [("middle-outcome", 2), ("middle-process-sum", 2), ("middle-process-min", 2)]
    assert [len(p) for p in pc.phases(jobs)] == [23, 6, 6, 9, 3]
    assert [pc.regime(p[0][0].name) for p in pc.phases(jobs)] == ["sparse", "middle", "sparse", "moderate", "middle"]


def _run(arm, seed, auc, steps_before=6.0, steps_after=6.0):
    return {"arm": arm, "seed": seed, "eval_sampled_auc": auc, "steps_per_completion_before": steps_before,
            "steps_per_completion_after": steps_after}


def test_decision_rules_on_hand_made_results():
    outcome = [0.30, 0.32, 0.28, 0.31, 0.29]
    sums = [0.45, 0.44, 0.47, 0.46, 0.43]  # gains 0.15, 0.12, 0.19, 0.15, 0.14
    mins = [0.40, 0.39, 0.41, 0.40, 0.42]
    ds, partial = [0.40, 0.41, 0.42], [0.46, 0.40, 0.47]
    results = ([_run("outcome", s, v) for s, v in enumerate(outcome)]
               + [_run("process-sum", s, v) for s, v in enumerate(sums)]
               + [_run("process-min", s, v) for s, v in enumerate(mins)]
               + [_run("outcome-ds", s, v) for s, v in enumerate(ds)]
               + [_run("partial", s, v) for s, v in enumerate(partial)])
    grouped = experiment.by_arm(results, list(pc.SPARSE_ARMS))
    decision = pc.decide(grouped)
    # sum - min = 0.450 - 0.404 = 0.046; Welch SE = sqrt(0.0158²/5 + 0.0114²/5) = 0.0087: sum wins
    se = (statistics.stdev(sums) ** 2 / 5 + statistics.stdev(mins) ** 2 / 5) ** 0.5
    assert decision["sum_minus_min"] == {"diff": pytest.approx(0.046, abs=1e-4), "two_se": round(2 * se, 4)}
    assert decision["process_credit"] == "sum"
    assert decision["gain_over_outcome"]["per_seed"] == pytest.approx([0.15, 0.12, 0.19, 0.15, 0.14])
    assert decision["beats_outcome"] is True
    # vs dynamic sampling: gains 0.05, 0.03, 0.05: mean 0.0433, sd 0.01155, 2 SE = 0.0133 -> ahead
    assert decision["ahead_of_outcome-ds"]["ahead"] is True
    # vs partial: gains -0.01, 0.04, 0.00: mean 0.01, sd 0.0265, 2 SE = 0.0306 -> not ahead
    assert decision["ahead_of_partial"]["ahead"] is False
    assert decision["goal_met"] is False


def test_an_unhealthy_winner_is_not_recommended():
    results = ([_run("process-sum", s, v, 6.0, 8.0) for s, v in enumerate([0.5, 0.52, 0.51])]
               + [_run("process-min", s, v) for s, v in enumerate([0.3, 0.31, 0.29])])
    decision = pc.decide(experiment.by_arm(results, list(pc.SPARSE_ARMS)))
    assert decision["healthy"] == {"sum": False, "min": True}
    assert decision["process_credit"] == "min" and "not healthy" in decision["reason"]


def test_results_json_has_cli_and_per_seed_figures():
    sparse, _, _, _ = pc.main_arms(RATES)
    results = [{**_run("outcome", 0, 0.3), "cpu_s_per_step": 1.0}, {**_run("outcome", 1, 0.4), "wall_time_s": 2.0}]
    out = pc.results_json(results, sparse, RATES, {"process_credit": None})
    assert out["arms"]["outcome"]["cli"] == ["--config", pc.OUTCOME_CONFIG, "--learning_rate", "0.0003"]
    assert out["arms"]["outcome"]["seeds"]["1"]["eval_sampled_auc"] == 0.4
    assert out["arms"]["process-min"]["seeds"] == {} and out["learning_rates"] == RATES
