"""Training curves: log history -> series, which trainer_state.json is read, the PNG files, the callback."""

import json
import math
from types import SimpleNamespace

import numpy as np
import pytest
from matplotlib.image import imread
from transformers import TrainerState

from grpo_plus.plotting import (
    METRICS_DIRNAME,
    PlotMetricsCallback,
    collect_series,
    find_trainer_state,
    load_log_history,
    plot_metrics,
    plot_run,
)


def grpo_log(steps=5, process=False):
    """A log history shaped like TRL's: one entry per step, then the train summary entry."""
    log = []
    for s in range(1, steps + 1):
        entry = {
            "step": s,
            "loss": 0.1 / s,
            "reward": 0.1 * s,
            "reward_std": 0.3,
            "rewards/accuracy/mean": 0.1 * s,
            "rewards/accuracy/std": 0.2,
            "rewards/format/mean": 0.5,
            "rewards/format/std": 0.1,
            "kl": 0.01 * s,
            "kl/k1": 0.012 * s,
            "kl/k2": 0.011 * s,
            "kl/k3": 0.01 * s,
            "entropy": 2.0 - 0.1 * s,
            "completions/mean_length": 40.0 + s,
            "completions/min_length": 10.0,
            "completions/max_length": 64.0,
        }
        if process:
            entry.update({"steps/per_completion": 3.0, "steps/reward_mean": 0.5, "steps/no_separator_frac": 0.1})
            entry.update({"advantages/mean": 0.0, "advantages/std": 1.0, "advantages/min": -2.0, "advantages/max": 2.0})
        log.append(entry)
    log.append({"step": steps, "train_runtime": 12.5, "train_loss": 0.05})
    return log


def write_state(folder, global_step, log_history):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "trainer_state.json").write_text(json.dumps({"global_step": global_step, "log_history": log_history}))


def test_collect_series_keeps_finite_numbers_per_step():
    log = [
        {"step": 1, "reward": 0.5, "loss": 0.25},
        {"step": 2, "reward": math.nan, "loss": 0.125, "rewards/arithmetic_steps/mean": None},
        {"step": 3, "reward": 1.0, "note": "text", "flag": True, "kl": math.inf},
        {"train_runtime": 4.0},
    ]
    series = collect_series(log)
    assert series == {"reward": ([1.0, 3.0], [0.5, 1.0]), "loss": ([1.0, 2.0], [0.25, 0.125])}


def test_find_trainer_state_takes_the_most_steps(tmp_path):
    write_state(tmp_path / "checkpoint-9", 9, [{"step": 9, "reward": 9.0}])
    write_state(tmp_path / "checkpoint-10", 10, [{"step": 10, "reward": 10.0}])
    # checkpoint-10 beats checkpoint-9 (numeric, not lexicographic, order)
    assert find_trainer_state(tmp_path) == tmp_path / "checkpoint-10" / "trainer_state.json"
    write_state(tmp_path, 4, [{"step": 4, "reward": 4.0}])
    assert find_trainer_state(tmp_path) == tmp_path / "checkpoint-10" / "trainer_state.json"
    write_state(tmp_path, 10, [{"step": 10, "reward": 10.5}])  # a tie goes to the end-of-training state
    assert find_trainer_state(tmp_path) == tmp_path / "trainer_state.json"
    assert load_log_history(tmp_path) == [{"step": 10, "reward": 10.5}]


def test_find_trainer_state_names_what_it_searched(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no trainer_state\.json in .* or in its checkpoint-\* folders"):
        find_trainer_state(tmp_path)


def assert_real_png(path, min_bytes=8000):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > min_bytes
    image = imread(path)
    assert image.shape[0] > 300 and image.shape[1] > 500
    assert np.asarray(image)[..., :3].std() > 0.05  # not a blank canvas


def test_plot_metrics_outcome_groups(tmp_path):
    written = plot_metrics(grpo_log(), tmp_path)
    names = [p.name for p in written]
    groups = ["reward", "rewards", "kl", "entropy", "completion_length", "loss"]
    assert names == ["overview.png"] + [f"{g}.png" for g in groups]
    for path in written:
        assert_real_png(path)


def test_plot_metrics_process_groups(tmp_path):
    names = {p.name for p in plot_metrics(grpo_log(process=True), tmp_path)}
    assert {"steps.png", "step_guards.png", "advantages.png"} <= names


def test_plot_metrics_without_metrics_lists_the_keys(tmp_path):
    with pytest.raises(ValueError, match=r"no GRPO metric to plot .* logged keys: \['train_runtime'\]"):
        plot_metrics([{"step": 1, "train_runtime": 3.0}], tmp_path)


def test_plot_run_defaults_to_grpo_metrics(tmp_path):
    write_state(tmp_path / "checkpoint-5", 5, grpo_log())
    written = plot_run(tmp_path)
    assert written[0] == tmp_path / METRICS_DIRNAME / "overview.png"
    assert written[0].is_file()


def test_callback_saves_state_and_curves_on_the_main_process_only(tmp_path):
    state = TrainerState(global_step=5, log_history=grpo_log())
    state.is_world_process_zero = False
    args = SimpleNamespace(output_dir=str(tmp_path / "run"))
    PlotMetricsCallback().on_train_end(args, state, None)
    assert not (tmp_path / "run").exists()
    state.is_world_process_zero = True
    PlotMetricsCallback().on_train_end(args, state, None)
    assert load_log_history(tmp_path / "run") == grpo_log()
    assert (tmp_path / "run" / METRICS_DIRNAME / "overview.png").is_file()


def test_callback_logs_instead_of_raising(tmp_path, caplog):
    state = TrainerState(global_step=1, log_history=[{"step": 1, "train_runtime": 1.0}])
    PlotMetricsCallback().on_train_end(SimpleNamespace(output_dir=str(tmp_path)), state, None)
    assert "could not plot the training curves" in caplog.text
    assert (tmp_path / "trainer_state.json").is_file()
