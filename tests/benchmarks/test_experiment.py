"""benchmarks.experiment: runs taken from their folders, from the results JSON's record, or run."""

import json

from benchmarks import experiment
from benchmarks.experiment import Arm, recorded, run_or_recall


def _write_summary(runs_dir, name, seed, auc):
    folder = runs_dir / f"{name}-seed{seed}"
    folder.mkdir(parents=True)
    (folder / experiment.SUMMARY).write_text(json.dumps({"eval_sampled_auc": auc}))


def test_recorded_takes_only_arms_whose_cli_is_unchanged(tmp_path):
    same, changed = Arm("a", "configs/x.yaml", ("--beta", "0.04")), Arm("b", "configs/x.yaml", ("--demo_task", "new"))
    path = tmp_path / "results.json"
    path.write_text(json.dumps({"arms": {
        "a": {"cli": ["--config", "configs/x.yaml", "--beta", "0.04"], "seeds": {"0": {"eval_sampled_auc": 0.5}}},
        "b": {"cli": ["--config", "configs/x.yaml", "--demo_task", "old"], "seeds": {"0": {"eval_sampled_auc": 0.7}}},
    }}))
    record = recorded(path, [same, changed])
    assert record == {("a", 0): {"arm": "a", "seed": 0, "eval_sampled_auc": 0.5, "recorded": True}}
    assert recorded(tmp_path / "absent.json", [same]) == {}


def test_run_or_recall_prefers_the_folder_then_the_record_then_runs(tmp_path, monkeypatch):
    arm = Arm("a", "configs/x.yaml", (), (0, 1, 2, 3))
    _write_summary(tmp_path, "a", 0, 0.1)  # on disk and recorded: the folder wins
    record = {("a", 0): {"arm": "a", "seed": 0, "eval_sampled_auc": 0.9, "recorded": True},
              ("a", 1): {"arm": "a", "seed": 1, "eval_sampled_auc": 0.2, "recorded": True}}
    ran = []

    def fake_run_one(arm, seed, runs_dir, extra=(), reuse=True):
        summary = runs_dir / f"{arm.name}-seed{seed}" / experiment.SUMMARY
        if not summary.is_file():
            ran.append(seed)
            return {"arm": arm.name, "seed": seed, "eval_sampled_auc": 0.3}
        return {"arm": arm.name, "seed": seed, **json.loads(summary.read_text())}

    monkeypatch.setattr(experiment, "run_one", fake_run_one)
    jobs = [(arm, s) for s in (0, 1, 2, 3)]
    assert [r["seed"] for r in run_or_recall(jobs, tmp_path, record, report_only=True)] == [0, 1]
    assert ran == []
    rows = run_or_recall(jobs, tmp_path, record)
    assert [(r["seed"], r["eval_sampled_auc"]) for r in rows] == [(0, 0.1), (1, 0.2), (2, 0.3), (3, 0.3)]
    assert sorted(ran) == [2, 3]  # run_jobs runs two at a time: the order they start in is the pool's
