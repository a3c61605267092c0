"""Running pre-registered demo experiments: arms of ``grpo-plus train`` command lines, seeds, summaries, statistics.

An experiment (:mod:`benchmarks.process_chains`, :mod:`benchmarks.training_health`) declares its :class:`Arm` s; each
run is ``grpo-plus train --config CONFIG <flags> --seed S --output_dir D`` in a subprocess (what a user types), one
torch thread, at most ``parallel`` at a time; a run whose ``demo_summary.json`` exists is reused unless told otherwise.
The statistics are the plain ones the protocols name: mean and sample standard deviation over seeds, paired
differences at the same seed, and the standard error of a difference of two means (Welch).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import statistics
import subprocess
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.common import REPO_ROOT

logger = logging.getLogger(__name__)

SUMMARY = "demo_summary.json"
TRAIN_KEYS = ("rewards/accuracy/mean", "steps/per_completion", "entropy", "frac_reward_zero_std")


@dataclass(frozen=True)
class Arm:
    """One arm: a config under ``configs/`` and the flags that make it this arm (its ``cli`` without seed/output)."""

    name: str
    config: str
    flags: tuple[str, ...] = ()
    seeds: tuple[int, ...] = (0, 1, 2)

    @property
    def cli(self) -> list[str]:
        """The arguments of ``grpo-plus train`` that reproduce this arm (add ``--seed S --output_dir D``)."""
        return ["--config", self.config, *self.flags]


def run_command(arm: Arm, seed: int, output_dir: Path, extra: Sequence[str] = ()) -> list[str]:
    """The ``grpo-plus train`` command of one run, through ``python -m grpo_plus.cli``."""
    return [
        sys.executable, "-m", "grpo_plus.cli", "train", *arm.cli, "--seed", str(seed),
        "--output_dir", str(output_dir), "--disable_tqdm", "true", *extra,
    ]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    for name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
        env.setdefault(name, "1")
    env.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", TOKENIZERS_PARALLELISM="false")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    return env


def run_one(arm: Arm, seed: int, runs_dir: Path, extra: Sequence[str] = (), reuse: bool = True) -> dict[str, Any]:
    """Train one arm with one seed (or reuse its summary); the summary with arm, seed, load and training curve."""
    output_dir = runs_dir / f"{arm.name}-seed{seed}"
    summary_path = output_dir / SUMMARY
    if not (reuse and summary_path.is_file()):
        output_dir.mkdir(parents=True, exist_ok=True)
        command = run_command(arm, seed, output_dir, extra)
        logger.info("running %s", " ".join(command[1:]))
        load_before = os.getloadavg()[0]
        with open(output_dir / "train.log", "w") as log:
            proc = subprocess.run(command, cwd=REPO_ROOT, env=_env(), stdout=log, stderr=subprocess.STDOUT)
        if proc.returncode != 0 or not summary_path.is_file():
            tail = (output_dir / "train.log").read_text()[-3000:]
            raise RuntimeError(f"{arm.name} seed {seed} failed (exit {proc.returncode}):\n{tail}")
        load = {"load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)]}
        (output_dir / "load.json").write_text(json.dumps(load) + "\n")
    summary = json.loads(summary_path.read_text())
    load_path = output_dir / "load.json"
    if load_path.is_file():
        summary.update(json.loads(load_path.read_text()))
    state = output_dir / "trainer_state.json"
    history = json.loads(state.read_text())["log_history"] if state.is_file() else []
    summary["train_curve"] = [
        {"step": e["step"], **{k: round(e[k], 4) for k in TRAIN_KEYS if k in e}}
        for e in history
        if "rewards/accuracy/mean" in e
    ]
    summary["train_metrics"] = train_metrics(history)
    return {"arm": arm.name, "seed": seed, **summary}


def train_metrics(history: Sequence[dict]) -> dict[str, float]:
    """Means over a run's logged training steps: the guards of process mode and dynamic sampling's cost."""
    keys = ("steps/per_completion", "steps/tokens_per_step", "steps/max_tokens_per_step", "steps/no_separator_frac",
            "dynamic_sampling/rounds", "frac_reward_zero_std")
    out = {}
    for key in keys:
        values = [float(e[key]) for e in history if key in e]
        if values:
            out[key] = round(statistics.fmean(values), 4)
    return out


def run_jobs(
    jobs: Sequence[tuple[Arm, int]], runs_dir: Path, parallel: int = 2, extra: Sequence[str] = (), reuse: bool = True
) -> list[dict[str, Any]]:
    """Every (arm, seed), at most ``parallel`` at a time, in the order given; a failed run raises after the rest."""
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        futures = [pool.submit(run_one, arm, seed, runs_dir, extra, reuse) for arm, seed in jobs]
        return [f.result() for f in futures]


def done(jobs: Sequence[tuple[Arm, int]], runs_dir: Path) -> list[tuple[Arm, int]]:
    """The jobs whose run has written its summary (to report an experiment that was stopped before its end)."""
    return [(arm, seed) for arm, seed in jobs if (runs_dir / f"{arm.name}-seed{seed}" / SUMMARY).is_file()]


def recorded(results_json: Path, arms: Sequence[Arm]) -> dict[tuple[str, int], dict[str, Any]]:
    """The runs a results JSON (``{"arms": {name: {"cli": [...], "seeds": {seed: figures}}}}``) holds for ``arms``,
    keyed by (arm, seed): the record of runs whose folders are gone. An arm whose recorded ``cli`` differs from its
    ``cli`` now is a different arm: none of its runs is taken."""
    if not results_json.is_file():
        return {}
    record = json.loads(results_json.read_text()).get("arms", {})
    out = {}
    for arm in arms:
        kept = record.get(arm.name)
        if kept and kept.get("cli") == arm.cli:
            for seed, figures in kept.get("seeds", {}).items():
                out[(arm.name, int(seed))] = {"arm": arm.name, "seed": int(seed), **figures, "recorded": True}
    return out


def run_or_recall(
    jobs: Sequence[tuple[Arm, int]], runs_dir: Path, record: dict[tuple[str, int], dict[str, Any]], parallel: int = 2,
    report_only: bool = False,
) -> list[dict[str, Any]]:
    """Each job's summary: from its folder if it has one, else from ``record`` (:func:`recorded`), else by running it
    (:func:`run_jobs`; with ``report_only`` it is left out), in the order of ``jobs``."""
    on_disk = set(done(jobs, runs_dir))
    to_run = [job for job in jobs if job not in on_disk and (job[0].name, job[1]) not in record]
    ran = run_jobs([j for j in jobs if j in on_disk] + ([] if report_only else to_run), runs_dir, parallel)
    by_job = {(r["arm"], r["seed"]): r for r in ran}
    return [by_job.get((arm.name, seed)) or record[(arm.name, seed)] for arm, seed in jobs
            if (arm.name, seed) in by_job or (arm.name, seed) in record]


def seed_major(arms: Sequence[Arm]) -> list[tuple[Arm, int]]:
    """(arm, seed) jobs ordered seed by seed, so every arm has its first seeds before any has its last."""
    seeds = sorted({s for arm in arms for s in arm.seeds})
    return [(arm, seed) for seed in seeds for arm in arms if seed in arm.seeds]


# ---------------------------------------------------------------------------------------------------- statistics
def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for one value)."""
    values = [float(v) for v in values]
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def welch_se(a: Sequence[float], b: Sequence[float]) -> float:
    """Standard error of mean(a) - mean(b): sqrt(s_a²/n_a + s_b²/n_b)."""
    return math.sqrt(mean_std(a)[1] ** 2 / len(a) + mean_std(b)[1] ** 2 / len(b))


def paired(rows: Sequence[dict], baseline: Sequence[dict], key: str) -> list[float]:
    """``row[key] - baseline[key]`` for every seed the two share, in seed order."""
    base = {r["seed"]: r[key] for r in baseline}
    return [r[key] - base[r["seed"]] for r in sorted(rows, key=lambda r: r["seed"]) if r["seed"] in base]


def steps_within(rows: Sequence[dict], tolerance: float) -> bool:
    """An arm is healthy: its mean steps per completion at the end within ``tolerance`` (a fraction) of the mean at
    the start (no separator avoidance, no step farming)."""
    before = statistics.fmean(r["steps_per_completion_before"] for r in rows)
    after = statistics.fmean(r["steps_per_completion_after"] for r in rows)
    return abs(after - before) <= tolerance * before


def by_arm(results: Sequence[dict], order: Sequence[str]) -> dict[str, list[dict]]:
    """Results grouped by arm in ``order`` (arms not in it after, by name), each list sorted by seed."""
    grouped: dict[str, list[dict]] = {}
    for arm in list(order) + sorted({r["arm"] for r in results} - set(order)):
        rows = sorted((r for r in results if r["arm"] == arm), key=lambda r: r["seed"])
        if rows:
            grouped[arm] = rows
    return grouped


def fmt(mean: float, std: float) -> str:
    return f"{mean:.3f} ± {std:.3f}"


def per_seed(rows: Sequence[dict], key: str) -> str:
    return ", ".join(f"{r['seed']}: {r[key]:.3f}" for r in rows)


# ---------------------------------------------------------------------------------------------------- figure
def curve(rows: Sequence[dict], source: str, key: str) -> tuple[list[float], list[float], list[float]]:
    """Steps, mean and std over seeds of ``key`` in each run's ``source`` curve (the steps every run has)."""
    series = [{p["step"]: p[key] for p in r[source] if key in p} for r in rows]
    steps = sorted(set.intersection(*(set(s) for s in series))) if series else []
    stats = [mean_std([s[step] for s in series]) for step in steps]
    return steps, [m for m, _ in stats], [s for _, s in stats]


def smooth(values: Sequence[float], window: int) -> list[float]:
    """Trailing moving average over ``window`` points (fewer at the start)."""
    return [statistics.fmean(values[max(0, i - window + 1) : i + 1]) for i in range(len(values))]


def plot_curves(grouped: dict[str, list[dict]], panels: Sequence[tuple], path: Path, title: str = ""):
    """One panel per (curve source, key, label[, moving-average window]): per arm the mean over seeds with a ± std
    band. Panels of a ``steps`` key start at 0, so that a fall in steps shows at its true size."""
    from matplotlib import colormaps
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5 * len(panels), 4.4))
    FigureCanvasAgg(fig)
    for i, (source, key, label, *rest) in enumerate(panels):
        window = rest[0] if rest else 1
        ax = fig.add_subplot(1, len(panels), i + 1)
        for j, (arm, rows) in enumerate(grouped.items()):
            steps, means, stds = curve(rows, source, key)
            if not steps:
                continue
            if window > 1:
                means, stds = smooth(means, window), smooth(stds, window)
            marker = "o" if len(steps) <= 20 else None
            color = colormaps["tab20"](j % 20) if len(grouped) > 10 else None  # the default cycle repeats after 10
            (line,) = ax.plot(steps, means, marker=marker, markersize=3, color=color, label=f"{arm} (n={len(rows)})")
            ax.fill_between(steps, [m - s for m, s in zip(means, stds)], [m + s for m, s in zip(means, stds)],
                            color=line.get_color(), alpha=0.15, linewidth=0)
        if "steps" in key:
            ax.set_ylim(0, math.ceil(ax.get_ylim()[1]) + 1)
        ax.set_title(label, fontsize=10)
        ax.set_xlabel("optimizer step")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    return path


# ---------------------------------------------------------------------------------------------------- command line
def experiment_parser(doc: str, name: str, quick_help: str) -> argparse.ArgumentParser:
    """The options every experiment takes: ``--quick`` (a smoke run), ``--runs_dir``, ``--fresh``."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help=quick_help)
    parser.add_argument("--runs_dir", type=Path, default=None, help=f"where the runs go (default: outputs/{name})")
    parser.add_argument("--fresh", action="store_true",
                        help="re-run every run even if its summary exists (in its folder or the results JSON's record)")
    return parser


def start_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", stream=sys.stderr)
