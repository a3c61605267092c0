"""Exact resume: the GRPO generation buffer travels with the checkpoint.

TRL's GRPOTrainer generates one *generation batch* every ``steps_per_generation × num_iterations`` micro-steps,
keeps it in ``trainer._buffered_inputs`` and counts micro-steps in ``trainer._step``. Neither is in a checkpoint. A run
resumed from a checkpoint that falls inside a generation cycle (``steps_per_generation > 1`` or ``num_iterations > 1``
and a ``save_steps`` that is not a multiple of the cycle) therefore throws away the completions it had not trained on
yet, samples new ones with the RNG state of the checkpoint, and restarts its cycle count at 0: the remaining losses and
weights differ from the uninterrupted run. At a cycle boundary (always, with TRL's defaults ``steps_per_generation =
gradient_accumulation_steps``, ``num_iterations = 1``) the buffer is empty of unused work and resume is already exact.

:func:`save_generation_state` writes ``_step``, the buffer (one file per process, since each holds its own slice) and
the trainer's own state (:func:`extra_state`: the adaptive β, the dynamic-sampling prompt stream, the Clip-Cov random
generator, the separator monitor) into the checkpoint directory; :func:`load_generation_state` puts them back. Called from the trainer's
``_save_checkpoint`` and ``_load_optimizer_and_scheduler`` (as TRL does for its adaptive-entropy state), the resumed
run continues exactly where the interrupted one stopped.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import torch

logger = logging.getLogger(__name__)

__all__ = ["STATE_FILE", "checkpoint_dir", "extra_state", "load_extra_state", "load_generation_state", "save_generation_state"]

STATE_FILE = "grpo_plus_generation_rank{rank}.pt"
_FORMAT = 1


def checkpoint_dir(trainer, trial=None) -> Path:
    """The directory ``Trainer._save_checkpoint`` writes the current step's checkpoint to."""
    from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR

    return Path(trainer._get_output_dir(trial=trial)) / f"{PREFIX_CHECKPOINT_DIR}-{trainer.state.global_step}"


def _to_cpu(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu()
    if isinstance(value, dict):
        return {k: _to_cpu(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_to_cpu(v) for v in value)
    return value


def _to_device(value: Any, device: torch.device) -> Any:
    if isinstance(value, torch.Tensor):
        return value.to(device)
    if isinstance(value, dict):
        return {k: _to_device(v, device) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_to_device(v, device) for v in value)
    return value


def extra_state(trainer) -> dict | None:
    """grpo_plus's own state a checkpoint must carry: the separator monitor, the Clip-Cov random generator, the
    adaptive KL controller (β) and its measurement window, the dynamic-sampling prompt stream. None for a trainer
    without them (TRL's own)."""
    if not hasattr(trainer, "separator_monitor"):
        return None
    state = {
        "separator_monitor": trainer.separator_monitor.state_dict(),
        "cov_generator": trainer._cov_generator.get_state(),
        "kl_window": trainer._kl_window.clone(),
    }
    if trainer.kl_controller is not None:
        state["kl_controller"] = trainer.kl_controller.state_dict()
    if trainer.dynamic_sampler is not None:
        state["dynamic_sampling"] = trainer.dynamic_sampler.state_dict()
    return state


def load_extra_state(trainer, state: dict) -> None:
    """Put back what :func:`extra_state` saved (β included, since TRL does not checkpoint it)."""
    trainer.separator_monitor.load_state_dict(state["separator_monitor"])
    trainer._cov_generator.set_state(state["cov_generator"])
    trainer._kl_window = state["kl_window"].clone()
    if trainer.kl_controller is not None and "kl_controller" in state:
        trainer.kl_controller.load_state_dict(state["kl_controller"])
        trainer.beta = trainer.kl_controller.beta
    if trainer.dynamic_sampler is not None and "dynamic_sampling" in state:
        trainer.dynamic_sampler.load_state_dict(state["dynamic_sampling"])


def save_generation_state(trainer, output_dir: str | os.PathLike) -> Path:
    """Write this process's ``_step`` and generation buffer to ``output_dir`` (a checkpoint directory).

    Call on every process, after ``Trainer._save_checkpoint`` created the directory. Returns the file written.
    """
    rank = trainer.accelerator.process_index
    path = Path(output_dir) / STATE_FILE.format(rank=rank)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {
        "format": _FORMAT,
        "global_step": trainer.state.global_step,
        "num_processes": trainer.accelerator.num_processes,
        "step": trainer._step,
        "buffered_inputs": _to_cpu(trainer._buffered_inputs),
        "extra": extra_state(trainer),
    }
    torch.save(state, path)
    return path


def load_generation_state(trainer, checkpoint: str | os.PathLike | None) -> bool:
    """Restore ``_step`` and the generation buffer saved by :func:`save_generation_state` in ``checkpoint``.

    Returns True when restored. A missing file (a checkpoint written without it), another number of processes or
    another global step leave TRL's behaviour (a fresh generation at the first step) and log a warning.
    """
    if checkpoint is None:
        return False
    rank = trainer.accelerator.process_index
    path = Path(checkpoint) / STATE_FILE.format(rank=rank)
    if not path.is_file():
        logger.warning(
            "%s has no %s: the generation buffer is not restored, so completions are sampled afresh at the first "
            "resumed step (exact resume needs a checkpoint at a generation-cycle boundary)",
            checkpoint,
            path.name,
        )
        return False
    state = torch.load(path, map_location="cpu", weights_only=False)
    problems = []
    if state.get("format") != _FORMAT:
        problems.append(f"format {state.get('format')!r} (expected {_FORMAT})")
    if state.get("num_processes") != trainer.accelerator.num_processes:
        problems.append(
            f"it was written by {state.get('num_processes')} processes, this run has {trainer.accelerator.num_processes}"
        )
    if state.get("global_step") != trainer.state.global_step:
        problems.append(f"it is for step {state.get('global_step')}, the run resumes at step {trainer.state.global_step}")
    if problems:
        logger.warning("%s not restored: %s; completions are sampled afresh", path, "; ".join(problems))
        return False
    trainer._step = state["step"]
    trainer._buffered_inputs = _to_device(state["buffered_inputs"], trainer.accelerator.device)
    if state.get("extra") is not None:
        load_extra_state(trainer, state["extra"])
    logger.info("restored the generation buffer and micro-step %d from %s", trainer._step, path)
    return True
