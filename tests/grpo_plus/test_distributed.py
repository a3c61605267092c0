"""Groups that span processes: two gloo CPU processes give the same advantages as one on the same global batch."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parent / "scripts" / "dist_advantages.py"


MODES = ["outcome", "outcome_kl", "process", "process_kl"]


def launch(model_dir, out_dir, processes):
    """Run every mode in one launch (process start-up dominates); returns {mode: {global row: record}}."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    if processes == 1:
        cmd = [sys.executable, str(SCRIPT)]
    else:
        cmd = [
            sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", str(processes),
            "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no", "--main_process_port", "29617",
            str(SCRIPT),
        ]  # fmt: skip
    result = subprocess.run(
        [*cmd, model_dir, str(out_dir), ",".join(MODES)], env=env, capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, result.stderr[-4000:]
    runs = {}
    for mode in MODES:
        merged = {}
        for rank in range(processes):
            data = json.loads((Path(out_dir) / mode / f"rank{rank}.json").read_text())
            assert data.pop("_world_size") == processes
            assert data.pop("_global_step") == 2  # training ran to completion on every rank
            merged.update(data)
        runs[mode] = merged
    return runs


@pytest.fixture(scope="module")
def launches(tiny_model_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("dist")
    return launch(tiny_model_dir, root / "one", 1), launch(tiny_model_dir, root / "two", 2)


@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES)
def test_two_processes_equal_one(mode, launches):
    one, two = (runs[mode] for runs in launches)
    assert sorted(one, key=int) == sorted(two, key=int) == [str(r) for r in range(12)]
    nonzero = 0
    for row in one:
        assert one[row]["prompt"] == two[row]["prompt"]
        a, b = one[row]["advantages"], two[row]["advantages"]
        width = min(len(a), len(b))
        assert all(abs(x) < 1e-6 for x in a[width:] + b[width:])  # only padding beyond the shorter width
        assert all(abs(x - y) < 1e-4 for x, y in zip(a[:width], b[:width])), (row, a, b)
        nonzero += any(abs(x) > 1e-3 for x in a)
    assert nonzero >= 6


DYNAMIC_SCRIPT = Path(__file__).parent / "scripts" / "dist_dynamic.py"


def launch_dynamic(model_dir, out_dir, processes):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    cmd = [sys.executable, str(DYNAMIC_SCRIPT)]
    if processes > 1:
        cmd = [
            sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", str(processes),
            "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no", "--main_process_port", "29619",
            str(DYNAMIC_SCRIPT),
        ]  # fmt: skip
    result = subprocess.run([*cmd, model_dir, str(out_dir)], env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads((Path(out_dir) / "dynamic.json").read_text())


@pytest.mark.slow
def test_dynamic_sampling_keeps_the_same_groups_on_two_processes(tiny_model_dir, tmp_path):
    """Every process decides from the gathered rewards and draws fresh prompts from the same stream: the trained
    batches hold the same prompts, in the same global order, with one process or two (the completions differ)."""
    one = launch_dynamic(tiny_model_dir, tmp_path / "one", 1)
    two = launch_dynamic(tiny_model_dir, tmp_path / "two", 2)
    assert (one["world"], two["world"], one["steps"], two["steps"]) == (1, 2, 3, 3)
    assert one["kept"] == two["kept"] and len(one["kept"]) == 3
    for batch in one["kept"]:
        assert len(batch) == 16 and all(p.startswith("Compute") for p in batch)
    assert [h["dynamic_sampling/rounds"] for h in one["logs"]] == [h["dynamic_sampling/rounds"] for h in two["logs"]]
    assert [h["dynamic_sampling/dropped_groups"] for h in one["logs"]] == [
        h["dynamic_sampling/dropped_groups"] for h in two["logs"]
    ]
    assert sum(h["dynamic_sampling/dropped_groups"] for h in one["logs"]) > 0
