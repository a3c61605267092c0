"""The embedded offline demo: problem generator, warm start (determinism, cache, size), summary, and the full run."""

from __future__ import annotations

import json
import random
import re
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from grpo_plus.demo import data, warmstart
from grpo_plus.demo.run import run_demo, summarize, window_means
from grpo_plus.demo.warmstart import WarmStartConfig

PROMPT = re.compile(
    r"What is (\d+) ([-+*]) (\d+)\? Answer in the form <think>\.\.\.</think><answer>\.\.\.</answer>\.\n"
)
MB = 1_000_000
TINY_WARM_START = WarmStartConfig(steps=3, batch_size=4)


def recompute(prompt: str) -> tuple[int, str, int, int]:
    """Operands, operation and answer read back from the prompt text, computed without the package's code."""
    match = PROMPT.fullmatch(prompt)
    assert match, prompt
    a, op, b = int(match.group(1)), match.group(2), int(match.group(3))
    answer = a + b if op == "+" else a - b if op == "-" else a * b
    return a, op, b, answer


def dir_size(path) -> int:
    return sum(p.stat().st_size for p in Path(path).iterdir() if p.is_file())


# ------------------------------------------------------------------------------------------------------------ data
@pytest.mark.parametrize("ops", [("+",), ("+", "-", "*")])
def test_dataset_solutions_are_correct(ops):
    ds = data.build_dataset(n=500, seed=7, ops=ops)
    assert ds.column_names == ["prompt", "solution"]
    seen_ops = Counter()
    for row in ds:
        a, op, b, answer = recompute(row["prompt"])
        assert 0 <= a <= 9 and 0 <= b <= 9 and answer >= 0
        assert row["solution"] == str(answer)
        seen_ops[op] += 1
    assert set(seen_ops) == set(ops)


def test_dataset_is_deterministic_and_seeded():
    first = data.build_dataset(n=64, seed=3)
    assert first.to_list() == data.build_dataset(n=64, seed=3).to_list()
    assert first.to_list() != data.build_dataset(n=64, seed=4).to_list()
    # 100 distinct single-digit additions, all reachable
    pairs = {recompute(r["prompt"])[:3] for r in data.build_dataset(n=3000, seed=0)}
    assert len(pairs) == 100


def test_bad_generator_arguments():
    with pytest.raises(ValueError, match="ops"):
        data.sample_problems(3, ops=("/",))
    with pytest.raises(ValueError, match="max_operand"):
        data.sample_problems(3, max_operand=0)


def test_worked_completions_earn_the_registry_rewards():
    from rewards import get_reward

    accuracy, fmt = get_reward("accuracy"), get_reward("format")
    problems = data.sample_problems(20, seed=1, ops=("+", "-"))
    right = [p.completion() for p in problems]
    wrong = [p.completion(p.answer + 1) for p in problems]
    solutions = [p.solution for p in problems]
    assert accuracy(right, solution=solutions) == [1.0] * 20
    assert accuracy(wrong, solution=solutions) == [0.0] * 20
    assert fmt(right + wrong) == [1.0] * 40
    assert right[0] == f"<think>{problems[0].a}{problems[0].op}{problems[0].b}={problems[0].answer}</think>" \
        f"<answer>{problems[0].answer}</answer>"


def test_sloppy_teacher_slips_at_the_configured_rate():
    config = WarmStartConfig(slip_rate=0.6)
    rng = random.Random(0)
    problems = data.sample_problems(4000, seed=2)
    slipped = 0
    for problem in problems:
        text = warmstart.sloppy_completion(problem, rng, config)
        shown = int(re.fullmatch(r"<think>\d\+\d=(\d+)</think><answer>(\d+)</answer>", text).group(2))
        assert text == problem.completion(shown)
        if shown != problem.answer:
            slipped += 1
            assert shown - problem.answer in (-2, -1, 1, 2) and shown >= 0
    # binomial(4000, 0.6): standard deviation 31, so 2400 +- 155 is five of them
    assert abs(slipped - 2400) < 155
    clean = WarmStartConfig(slip_rate=0.0)
    assert all(warmstart.sloppy_completion(p, rng, clean) == p.completion() for p in problems[:200])


def test_tokenizer_digits_and_tags_are_single_tokens():
    tok = warmstart.build_tokenizer()
    problem = data.Problem(47, "+", 8)
    text = problem.prompt + problem.completion()
    tokens = tok.tokenize(text)
    for tag in data.TAGS:
        assert tokens.count(tag) == 2  # once in the prompt's instruction, once in the completion
    assert [t for t in tokens if any(c.isdigit() for c in t)] == ["4", "7", "8", "4", "7", "8", "5", "5", "5", "5"]
    assert tok.decode(tok(text)["input_ids"], skip_special_tokens=True) == text


# ------------------------------------------------------------------------------------------------------ warm start
def test_warm_start_is_deterministic():
    import torch

    with warmstart.torch_threads(1):
        model_a, _, loss_a = warmstart.train_warm_start(TINY_WARM_START)
        model_b, _, loss_b = warmstart.train_warm_start(TINY_WARM_START)
        model_c, _, _ = warmstart.train_warm_start(replace(TINY_WARM_START, seed=1))
    assert loss_a == loss_b
    a, b, c = model_a.state_dict(), model_b.state_dict(), model_c.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)
    fresh = warmstart.tiny.build_tiny_model(
        warmstart.build_tokenizer(), hidden_size=128, num_layers=2, num_heads=4, intermediate_size=256, seed=0
    ).state_dict()
    assert not all(torch.equal(a[k], fresh[k]) for k in a)  # it did train


def test_warm_start_cache(tmp_path, monkeypatch):
    path = warmstart.ensure_warm_start(TINY_WARM_START, cache_root=tmp_path)
    assert Path(path).parent == tmp_path and Path(path).name.startswith("demo-")
    info = json.loads((Path(path) / warmstart.INFO_FILENAME).read_text())
    assert info["config"]["steps"] == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == [Path(path).name]  # no staging directory left behind

    def no_build(*args, **kwargs):
        raise AssertionError("the cached checkpoint should have been reused")

    monkeypatch.setattr(warmstart, "save_warm_start", no_build)
    assert warmstart.ensure_warm_start(TINY_WARM_START, cache_root=tmp_path) == path
    other = replace(TINY_WARM_START, seed=1)
    assert warmstart.cache_key(other) != warmstart.cache_key(TINY_WARM_START)
    with pytest.raises(AssertionError, match="reused"):
        warmstart.ensure_warm_start(other, cache_root=tmp_path)


def test_code_fingerprint_ignores_documentation_but_not_code(tmp_path):
    def fingerprint(text):
        path = tmp_path / "builder.py"
        path.write_text(text)
        return warmstart.code_fingerprint(path)

    code = 'RATE = 0.4\n\n\ndef slip(x):\n    return x + 1\n\n\nclass Teacher:\n    steps = 6\n'
    documented = ('"""The builder."""\n# a comment\nRATE = 0.4  # per step\n\n\ndef slip(x):\n    """Slip."""\n'
                  '    return x + 1\n\n\nclass Teacher:\n    """A teacher."""\n\n    steps = 6\n')
    assert fingerprint(documented) == fingerprint(code)
    assert fingerprint(code.replace("0.4", "0.5")) != fingerprint(code)
    assert fingerprint(code.replace("x + 1", "x - 1")) != fingerprint(code)
    assert fingerprint('def f():\n    """Only a docstring."""\n') == fingerprint("def f():\n    pass\n")


def test_default_warm_start_model_is_under_5_mb(tmp_path):
    config = WarmStartConfig()
    tok = warmstart.build_tokenizer(config)
    model = warmstart.tiny.build_tiny_model(
        tok,
        hidden_size=config.hidden_size,
        num_layers=config.num_layers,
        num_heads=config.num_heads,
        intermediate_size=config.intermediate_size,
    )
    model.save_pretrained(tmp_path)
    tok.save_pretrained(tmp_path)
    assert dir_size(tmp_path) <= 5 * MB
    assert model.num_parameters() * 4 <= (tmp_path / "model.safetensors").stat().st_size  # float32 weights


def test_cache_root_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("GRPO_PLUS_CACHE", str(tmp_path / "a"))
    assert warmstart.default_cache_root() == tmp_path / "a"
    monkeypatch.delenv("GRPO_PLUS_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert warmstart.default_cache_root() == tmp_path / "xdg" / "grpo_plus"


def test_config_validation():
    with pytest.raises(ValueError, match="slip_rate"):
        WarmStartConfig(slip_rate=1.0)
    with pytest.raises(ValueError, match="slips"):
        WarmStartConfig(slips=(-1, -2))
    with pytest.raises(ValueError, match="steps"):
        WarmStartConfig(steps=0)


# --------------------------------------------------------------------------------------------------------- summary
def test_window_means():
    history = [{"rewards/accuracy/mean": float(i), "step": i} for i in range(20)] + [{"train_runtime": 1.0}]
    assert window_means(history, "rewards/accuracy/mean") == (0.5, 18.5)  # windows of 2: (0+1)/2, (18+19)/2
    assert window_means(history[:5], "rewards/accuracy/mean") == (0.0, 4.0)  # window of at least one entry
    assert window_means(history, "rewards/format/mean") is None
    summary = summarize([{"rewards/accuracy/mean": v, "rewards/format/mean": 1.0} for v in [0.2] * 10 + [0.5] * 10])
    assert summary == {
        "accuracy_before": 0.2, "accuracy_after": 0.5, "format_before": 1.0, "format_after": 1.0, "accuracy_gain": 0.3
    }


def test_run_demo_plumbing(tmp_path):
    out = tmp_path / "run"
    summary = run_demo(
        output_dir=out, warm_start=TINY_WARM_START, cache_root=tmp_path / "cache", max_steps=2,
        per_device_train_batch_size=8, num_generations=4, num_prompts=32, disable_tqdm=True,
    )
    assert summary["steps"] == 2 and summary["output_dir"] == str(out)
    assert {"accuracy_before", "accuracy_after", "format_before", "format_after", "wall_time_s"} <= set(summary)
    assert (out / "model.safetensors").is_file() and (out / "tokenizer.json").is_file()
    assert (Path(summary["curves"]) / "overview.png").is_file()
    assert json.loads((out / "demo_summary.json").read_text()) == summary
    state = json.loads((out / "trainer_state.json").read_text())
    assert sum("rewards/accuracy/mean" in e for e in state["log_history"]) == 2


# ------------------------------------------------------------------------------------------------------ end to end
@pytest.mark.slow
def test_demo_learns_within_five_minutes(tmp_path):
    """The whole demo, warm start built from scratch: the sampled accuracy rises by at least 0.2 (mean of the last 10%
    of steps minus mean of the first 10%, recomputed here from the saved log history) in under 300 s."""
    start = time.perf_counter()
    summary = run_demo(output_dir=tmp_path / "run", cache_root=tmp_path / "cache")
    wall = time.perf_counter() - start
    history = json.loads((tmp_path / "run" / "trainer_state.json").read_text())["log_history"]
    accuracy = [e["rewards/accuracy/mean"] for e in history if "rewards/accuracy/mean" in e]
    window = len(accuracy) // 10
    assert len(accuracy) == summary["steps"] and window >= 10
    before, after = sum(accuracy[:window]) / window, sum(accuracy[-window:]) / window
    assert after - before >= 0.2, (before, after)
    assert summary["accuracy_before"] == pytest.approx(before, abs=1e-4)
    assert summary["accuracy_after"] == pytest.approx(after, abs=1e-4)
    assert summary["format_after"] >= 0.9
    assert wall < 300, wall
    assert dir_size(summary["warm_start"]) <= 5 * MB
