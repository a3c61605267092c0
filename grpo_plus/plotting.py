"""Training curves as PNG files, from a run's log history (``trainer_state.json``).

:func:`plot_run` reads ``OUTPUT_DIR/trainer_state.json`` (or the one of the latest ``checkpoint-*``) and writes one PNG
per metric group into ``OUTPUT_DIR/grpo_metrics/`` plus ``overview.png`` with every group on one page.
:class:`PlotMetricsCallback` does the same at the end of training (and saves the log history first), so every run
leaves its curves. Figures are drawn with matplotlib's Agg canvas directly: no pyplot, no global backend switch.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from transformers import TrainerCallback

logger = logging.getLogger(__name__)

METRICS_DIRNAME = "grpo_metrics"
STATE_FILENAME = "trainer_state.json"
_CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")


@dataclass(frozen=True)
class MetricGroup:
    """One figure: the log keys it plots, picked by ``select`` from all keys of the log history, in order."""

    stem: str
    title: str
    ylabel: str
    select: Callable[[Sequence[str]], list[str]]


def _exact(*names: str) -> Callable[[Sequence[str]], list[str]]:
    return lambda keys: [n for n in names if n in keys]


def _prefix(prefix: str, suffix: str = "") -> Callable[[Sequence[str]], list[str]]:
    return lambda keys: sorted(k for k in keys if k.startswith(prefix) and k.endswith(suffix))


GROUPS: tuple[MetricGroup, ...] = (
    MetricGroup("reward", "reward (weighted sum of rewards)", "reward", _exact("reward", "reward_std", "eval_reward")),
    MetricGroup("rewards", "reward functions (mean per batch)", "reward", _prefix("rewards/", "/mean")),
    MetricGroup(
        "kl",
        "KL(π‖π_ref) per token",
        "nats",
        _exact("kl", "kl/k1", "kl/k2", "kl/k3", "kl_penalty", "reward_with_kl_penalty"),
    ),
    MetricGroup("entropy", "policy entropy per token", "nats", _exact("entropy")),
    MetricGroup(
        "completion_length",
        "completion length",
        "tokens",
        _exact("completions/mean_length", "completions/min_length", "completions/max_length"),
    ),
    MetricGroup("loss", "loss", "loss", _exact("loss")),
    MetricGroup(
        "steps",
        "process mode: steps per completion and their length",
        "value",
        _exact("steps/per_completion", "steps/tokens_per_step", "steps/max_tokens_per_step"),
    ),
    MetricGroup(
        "step_guards",
        "process mode: step rewards and separator avoidance",
        "value",
        _exact("steps/reward_mean", "steps/reward_std", "steps/reward_min_mean", "steps/no_separator_frac"),
    ),
    MetricGroup("advantages", "process mode: token advantages", "advantage", _prefix("advantages/")),
)


def find_trainer_state(output_dir: str | Path) -> Path:
    """The ``trainer_state.json`` with the most training steps: ``output_dir``'s own (written at the end of training)
    or the latest ``checkpoint-*``'s; on a tie ``output_dir``'s. Raises FileNotFoundError naming what was searched."""
    output_dir = Path(output_dir)
    if not output_dir.is_dir():
        raise FileNotFoundError(f"{output_dir} is not a directory; pass the output_dir of a training run")
    candidates = []
    top = output_dir / STATE_FILENAME
    if top.is_file():
        candidates.append((_global_step(top), 1, top))
    for child in output_dir.iterdir():
        match = _CHECKPOINT.match(child.name)
        if match and (child / STATE_FILENAME).is_file():
            candidates.append((int(match.group(1)), 0, child / STATE_FILENAME))
    if not candidates:
        raise FileNotFoundError(
            f"no {STATE_FILENAME} in {output_dir} or in its checkpoint-* folders; training writes it at the end "
            "(grpo-plus train, or PlotMetricsCallback) and in every checkpoint"
        )
    return max(candidates, key=lambda c: (c[0], c[1]))[2]


def _global_step(path: Path) -> int:
    with open(path) as f:
        return int(json.load(f).get("global_step", 0))


def load_log_history(output_dir: str | Path) -> list[dict]:
    """The ``log_history`` list of the run in ``output_dir`` (see :func:`find_trainer_state`)."""
    with open(find_trainer_state(output_dir)) as f:
        return json.load(f).get("log_history", [])


def collect_series(log_history: Iterable[dict]) -> dict[str, tuple[list[float], list[float]]]:
    """Metric name -> (steps, values) over the log entries that carry it; non-numeric and NaN/inf values are left
    out (TRL logs NaN when, e.g., no sample of a batch could be graded)."""
    series: dict[str, tuple[list[float], list[float]]] = {}
    for entry in log_history:
        step = entry.get("step")
        if step is None:
            continue
        for key, value in entry.items():
            if key == "step" or isinstance(value, bool) or not isinstance(value, (int, float)):
                continue
            if not math.isfinite(value):
                continue
            steps, values = series.setdefault(key, ([], []))
            steps.append(float(step))
            values.append(float(value))
    return series


def _draw(ax, group: MetricGroup, keys: list[str], series) -> None:
    for key in keys:
        steps, values = series[key]
        label = key[len("rewards/") : -len("/mean")] if group.stem == "rewards" else key.rpartition("/")[2] or key
        label = key if group.stem in ("reward", "kl") else label
        line = ax.plot(steps, values, label=label, marker="o" if len(steps) <= 25 else None, markersize=3)[0]
        if group.stem == "rewards":
            std_key = key[: -len("/mean")] + "/std"
            if std_key in series and series[std_key][0] == steps:
                std = series[std_key][1]
                ax.fill_between(
                    steps,
                    [v - s for v, s in zip(values, std)],
                    [v + s for v, s in zip(values, std)],
                    color=line.get_color(),
                    alpha=0.15,
                    linewidth=0,
                )
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.ticklabel_format(axis="y", useOffset=False)
    ax.set_title(group.title, fontsize=10)
    ax.set_xlabel("step")
    ax.set_ylabel(group.ylabel)
    ax.grid(alpha=0.3)
    if keys != [group.stem]:
        ax.legend(fontsize=8)


def _save(fig, path: Path) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    fig.savefig(path, dpi=110)


def plot_metrics(log_history: Sequence[dict], out_dir: str | Path) -> list[Path]:
    """Write ``<group>.png`` for every metric group present in ``log_history``, and ``overview.png``.

    Returns the written paths (overview first). Raises ValueError when the history has no metric to plot.
    """
    from matplotlib.figure import Figure

    series = collect_series(log_history)
    present = [(g, g.select(list(series))) for g in GROUPS]
    present = [(g, keys) for g, keys in present if keys]
    if not present:
        raise ValueError(
            f"the log history has no GRPO metric to plot (known groups: {', '.join(g.stem for g in GROUPS)}); "
            f"logged keys: {sorted(series)}"
        )
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    columns = 2 if len(present) > 1 else 1
    rows = math.ceil(len(present) / columns)
    overview = Figure(figsize=(6 * columns, 3.6 * rows), layout="constrained")
    for i, (group, keys) in enumerate(present):
        _draw(overview.add_subplot(rows, columns, i + 1), group, keys, series)
    written = [out_dir / "overview.png"]
    _save(overview, written[0])
    for group, keys in present:
        fig = Figure(figsize=(6.4, 4), layout="constrained")
        _draw(fig.add_subplot(), group, keys, series)
        path = out_dir / f"{group.stem}.png"
        _save(fig, path)
        written.append(path)
    return written


def plot_run(output_dir: str | Path, out_dir: str | Path | None = None) -> list[Path]:
    """Plot the run in ``output_dir`` into ``out_dir`` (default ``output_dir/grpo_metrics``)."""
    out_dir = Path(output_dir) / METRICS_DIRNAME if out_dir is None else Path(out_dir)
    return plot_metrics(load_log_history(output_dir), out_dir)


class PlotMetricsCallback(TrainerCallback):
    """At the end of training (main process only): save the log history to ``output_dir/trainer_state.json`` (what
    ``Trainer.save_state`` writes) and draw the curves into ``output_dir/grpo_metrics/``.

    A plotting failure is logged, never raised: it must not cost the trained model, which is saved after ``train()``.
    """

    def __init__(self, out_dir: str | Path | None = None):
        self.out_dir = out_dir

    def on_train_end(self, args, state, control, **kwargs):
        if not state.is_world_process_zero or not args.output_dir:
            return
        output_dir = Path(args.output_dir)
        output_dir.mkdir(parents=True, exist_ok=True)
        state.save_to_json(str(output_dir / STATE_FILENAME))
        out_dir = Path(self.out_dir) if self.out_dir is not None else output_dir / METRICS_DIRNAME
        try:
            written = plot_metrics(state.log_history, out_dir)
        except Exception as err:  # noqa: BLE001  (a figure must not fail a finished run)
            logger.warning("could not plot the training curves into %s: %s: %s", out_dir, type(err).__name__, err)
            return
        logger.info("training curves: %s (%d figures)", written[0], len(written))
