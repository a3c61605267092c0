"""Run every benchmark on the CPU with the offline tiny model and print one markdown table.

    python -m benchmarks.run [--quick] [--only NAME ...]

NAME is a module's short name (``trainer``, ``rewards``, ``steps``, ``accuracy_labels``,
``accuracy_math_labels``), or an experiment that runs
only when named with ``--only`` (``process_vs_outcome``: :mod:`benchmarks.process_vs_outcome`, about half an hour).
Each module exposes ``run(quick) -> list[dict]``
(rows as in :mod:`benchmarks.common`); a module that does not exist yet, or fails, becomes a note row so the table
is still printed. The table goes to stdout, progress to stderr.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
import time
import traceback
from collections.abc import Sequence

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from benchmarks.common import format_table, machine_line, note_row  # noqa: E402

logger = logging.getLogger(__name__)
table_logger = logging.getLogger("benchmarks.table")

MODULES = ("trainer", "rewards", "steps", "accuracy_labels", "accuracy_math_labels")
EXPERIMENTS = ("process_vs_outcome", "process_chains", "training_health")  # benchmarks/<name>.py, run only with --only


def run_module(name: str, quick: bool) -> list[dict]:
    """The rows of ``benchmarks.bench_<name>``; a note row when it is missing or raises."""
    module_name = f"benchmarks.{name}" if name in EXPERIMENTS else f"benchmarks.bench_{name}"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        return [note_row(f"bench_{name}", f"not run: {module_name} does not exist yet")]
    start = time.perf_counter()
    try:
        rows = list(module.run(quick=quick))
    except Exception as exc:  # noqa: BLE001  (one broken module must not hide the others' rows)
        logger.error("%s failed:\n%s", module_name, traceback.format_exc())
        return [note_row(f"bench_{name}", f"failed: {type(exc).__name__}: {exc}")]
    logger.info("%s: %d rows in %.0f s", module_name, len(rows), time.perf_counter() - start)
    return rows


def emit_table(rows: Sequence[dict], command: str) -> str:
    """Write the header lines and the table to stdout (through the ``benchmarks.table`` logger); return the text."""
    if not table_logger.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(message)s"))
        table_logger.addHandler(handler)
        table_logger.setLevel(logging.INFO)
        table_logger.propagate = False
    text = f"Machine: {machine_line()}\nCommand: `{command}`\n\n{format_table(rows)}"
    table_logger.info("%s", text)
    return text


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the grpo_plus benchmarks and print one markdown table.")
    parser.add_argument("--quick", action="store_true", help="few steps and 1–2 repeats: a smoke run")
    parser.add_argument(
        "--only",
        nargs="+",
        choices=MODULES + EXPERIMENTS,
        metavar="NAME",
        help=f"run only these: {', '.join(MODULES + EXPERIMENTS)} (the last only when named)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", stream=sys.stderr)
    names = args.only or list(MODULES)
    start = time.perf_counter()
    rows: list[dict] = []
    for name in names:
        logger.info("running bench_%s%s", name, " (quick)" if args.quick else "")
        rows.extend(run_module(name, args.quick))
    command = "python -m benchmarks.run" + (" --quick" if args.quick else "")
    if args.only:
        command += " --only " + " ".join(args.only)
    emit_table(rows, command)
    logger.info("all benchmarks: %.0f s", time.perf_counter() - start)
    return 0


if __name__ == "__main__":
    sys.exit(main())
