"""Dynamic sampling rounds for GRPOPlusTrainer (DAPO, Yu et al. 2025, arXiv 2503.14476, §3.2).

:class:`DynamicSampler` fills one generation batch: it scores the batch TRL handed over (round 0), drops the groups
:mod:`grpo_plus.sampling` calls degenerate, and while slots are missing and rounds remain, draws fresh prompts,
generates and scores them the same way (round 1, 2, …). Then it assembles the batch the trainer trains on: every
round's completions are gathered across processes (padded to common widths), the chosen groups
(:func:`grpo_plus.sampling.select_groups`) are laid out as one global batch, and each process keeps its slice, as
TRL slices its batches. Every process takes the same decisions, from the gathered rewards, and runs the same
number of rounds, so none waits on another.

Fresh prompts come from a stream of their own: a permutation of the training set seeded by ``seed`` and the pass
through it, the same on every process whatever their number (each process generates its slice of each prompt's
G completions). Its position is checkpointed (:meth:`state_dict`), so a resumed run draws the same prompts.
TRL's own prompt order is untouched.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from grpo_plus.sampling import rows_of, select_groups
from grpo_plus.scoring import ScoredBatch

LEFT_PADDED = ("prompt_ids", "prompt_mask")
RECOMPUTED = ("advantages", "num_items_in_batch")
_PAD_ONE = ("tool_mask",)  # TRL pads the tool mask with 1
REWARD_METRICS = ("reward", "reward_std", "frac_reward_zero_std")


class DynamicSampler:
    """The rounds of one generation batch, and the stream of fresh prompts.

    Args:
        trainer: the GRPOPlusTrainer (its accelerator, tokenizer, metrics and generation settings are used).
        dataset: the training set (map-style: fresh prompts are read by index).
        max_rounds: extra rounds allowed per generation batch.
        seed: seed of the fresh-prompt stream.
    """

    def __init__(self, trainer, dataset, max_rounds: int, seed: int):
        if dataset is None or not hasattr(dataset, "__getitem__") or not hasattr(dataset, "__len__"):
            raise ValueError(
                "dynamic_sampling=True needs a map-style train_dataset (fresh prompts are drawn by index); "
                f"got {type(dataset).__name__}"
            )
        self.trainer = trainer
        self.dataset = dataset
        self.max_rounds = max_rounds
        self.seed = seed
        self.position = 0
        self.epoch = 0
        self._pass: tuple[int, torch.Tensor] | None = None

    # -------------------------------------------------------------------------------------------- prompts
    def fresh_prompts(self, num_groups: int) -> list[int]:
        """The next ``num_groups`` dataset indices of the stream (the same on every process)."""
        indices = []
        while len(indices) < num_groups:
            take = self._order()[self.position : self.position + num_groups - len(indices)].tolist()
            indices += take
            self.position += len(take)
            if self.position >= len(self.dataset):
                self.position, self.epoch = 0, self.epoch + 1
        return indices

    def _order(self) -> torch.Tensor:
        """This pass's permutation of the training set (drawn once per pass from ``seed + epoch``)."""
        if self._pass is None or self._pass[0] != self.epoch:
            generator = torch.Generator().manual_seed(self.seed + self.epoch)
            self._pass = (self.epoch, torch.randperm(len(self.dataset), generator=generator))
        return self._pass[1]

    def local_inputs(self, prompt_indices: list[int], num_generations: int, local_size: int) -> list[dict]:
        """This process's rows of the G-fold repeated prompts, as TRL's dataloader gives them (dataset rows)."""
        start = self.trainer.accelerator.process_index * local_size
        rows = [i for i in prompt_indices for _ in range(num_generations)][start : start + local_size]
        return [dict(self.dataset[i]) for i in rows]

    def state_dict(self) -> dict[str, int]:
        return {"position": self.position, "epoch": self.epoch}

    def load_state_dict(self, state: dict[str, int]) -> None:
        self.position, self.epoch = int(state["position"]), int(state["epoch"])

    # --------------------------------------------------------------------------------------------- rounds
    def generation_batch(self, inputs: list[dict], score_round: Callable) -> tuple[dict, ScoredBatch, dict]:
        """Score rounds until the batch is full of informative groups or the rounds are used up.

        Args:
            inputs: the local generation batch TRL drew.
            score_round: ``inputs -> (output, scored, degenerate)``: TRL's generation and scoring of one round, its
                gathered :class:`~grpo_plus.scoring.ScoredBatch` and the (N / G,) degenerate-group flags.

        Returns:
            ``(output, scored, stats)``: the local batch to train on, its global ScoredBatch, and the round
            statistics.
        """
        trainer = self.trainer
        num_generations = trainer.num_generations
        local_size = len(inputs)
        num_groups = local_size * trainer.accelerator.num_processes // num_generations
        metrics = trainer._metrics["train"]
        before = {key: len(values) for key, values in metrics.items()}
        outputs, scored, informative = [], [], []
        for round_index in range(self.max_rounds + 1):
            if round_index:
                inputs = self.local_inputs(self.fresh_prompts(num_groups), num_generations, local_size)
            output, round_scores, degenerate = score_round(inputs)
            outputs.append(output)
            scored.append(round_scores)
            informative.append([not bool(d) for d in degenerate])
            if sum(map(sum, informative)) >= num_groups:
                break
        chosen, filled = select_groups(informative, num_groups)
        if len(outputs) == 1 and filled == 0:  # the first round was full: it is the batch as TRL made it
            output, batch = {k: v for k, v in outputs[0].items() if k not in RECOMPUTED}, scored[0]
        else:
            rows = rows_of(chosen, num_generations)
            output, batch = self._assemble(outputs, rows, local_size), ScoredBatch.pick(scored, rows)
        stats = {
            "dynamic_sampling/rounds": float(len(outputs)),
            "dynamic_sampling/dropped_groups": float(sum(len(f) - sum(f) for f in informative)),
            "dynamic_sampling/kept_frac": (num_groups - filled) / num_groups,
        }
        for key in [k for k in metrics if k in REWARD_METRICS or k.startswith("rewards/")]:
            del metrics[key][before.get(key, 0) :]  # TRL logged each round; the trained batch is logged instead
        return output, batch, stats

    def _assemble(self, outputs: list[dict], rows: list[tuple[int, int]], local_size: int) -> dict:
        """The local slice of the global batch made of ``rows`` ((round, global row) pairs)."""
        accelerator = self.trainer.accelerator
        pad_id = self.trainer._tokenizer.pad_token_id
        keys = [k for k in outputs[0] if k not in RECOMPUTED]
        start = accelerator.process_index * local_size
        mine = rows[start : start + local_size]
        assembled: dict[str, Any] = {}
        for key in keys:
            values = [out[key] for out in outputs]
            if not all(isinstance(v, torch.Tensor) and v.ndim >= 1 and v.size(0) == local_size for v in values):
                raise ValueError(
                    f"dynamic_sampling cannot merge the generation output {key!r} (not one row per completion); "
                    "multimodal inputs are not supported with dynamic_sampling=True"
                )
            left = key in LEFT_PADDED
            pad = pad_id if key == "prompt_ids" else (1 if key in _PAD_ONE else 0)
            gathered = [
                accelerator.gather(accelerator.pad_across_processes(v, dim=1, pad_index=pad, pad_first=left))
                if v.ndim > 1
                else accelerator.gather(v)
                for v in values
            ]
            width = max(g.size(1) for g in gathered) if values[0].ndim > 1 else None
            if width is not None:
                gathered = [_pad_to(g, width, pad, left) for g in gathered]
            assembled[key] = torch.stack([gathered[r][row] for r, row in mine])
        return _trim(assembled)


def _pad_to(tensor: torch.Tensor, width: int, value, left: bool) -> torch.Tensor:
    missing = width - tensor.size(1)
    if missing <= 0:
        return tensor
    pad = (missing, 0) if left else (0, missing)
    return torch.nn.functional.pad(tensor, (0, 0) * (tensor.ndim - 2) + pad, value=value)


def _trim(batch: dict) -> dict:
    """Drop the padding columns no row of this slice uses (prompt: on the left; completion: on the right)."""
    prompt_used = batch["prompt_mask"].any(dim=0).nonzero()
    first = int(prompt_used[0]) if prompt_used.numel() else batch["prompt_mask"].size(1)
    completion_used = batch["completion_mask"].any(dim=0).nonzero()
    width = int(completion_used[-1]) + 1 if completion_used.numel() else 1
    full = batch["completion_mask"].size(1)
    out = {}
    for key, value in batch.items():
        if key in LEFT_PADDED:
            out[key] = value[:, first:]
        elif value.ndim > 1 and value.size(1) == full:
            out[key] = value[:, :width]
        else:
            out[key] = value
    return out

