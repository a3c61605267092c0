"""How GRPOPlusTrainer turns its ``reward_funcs`` into TRL reward functions.

Resolution (registry names, ``"module:function"`` import paths, callables, reward-model ids, in that order, through
:func:`rewards.resolve_rewards`), the fault guard around every callable (:func:`grpo_plus.guard.guard_reward`,
the environment's ``get_reward`` included), the step-reward adapters of process mode, and the per-turn rewards of
environments that define ``get_turn_rewards``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

import torch
from trl.trainer.utils import get_callable_name

from rewards import resolve_rewards
from rewards._names import split_names

from grpo_plus.guard import guard_reward, is_guarded

NO_REWARD_SOURCE = (
    "No reward source provided. Pass `reward_funcs`, or an `environment_factory` whose environment defines a "
    "`get_reward` method; with grpo_plus also GRPOPlusConfig.reward_funcs (names from `grpo-plus rewards list`, "
    "'module:function', callables or reward-model ids)"
)


def check_prompt_column(dataset, kwargs) -> None:
    """TRL reads ``row["prompt"]`` at the first step (a bare KeyError); say so before any model loads."""
    columns = getattr(dataset, "column_names", None)
    if columns is None or kwargs.get("environment_factory") is not None or "prompt" in columns:
        return
    raise ValueError(
        f"train_dataset has no 'prompt' column; its columns are {list(columns)}. Rename the column that holds the "
        "prompts (dataset.rename_column(..., 'prompt'))"
    )


def resolve_trainer_rewards(
    reward_funcs, args, reward_mode: str, has_environment: bool, wrap_step: Callable[[Callable, str], Callable]
) -> list:
    """The reward functions handed to TRL: resolved, guarded, step rewards wrapped by ``wrap_step`` (process mode).
    ``args`` is a :class:`~grpo_plus.config.GRPOPlusConfig`.

    ``reward_funcs`` None falls back to ``args.reward_funcs``; with an environment and neither, the list is empty
    (the environment may own the reward, and TRL checks that some source exists)."""
    specs = reward_funcs if reward_funcs is not None else args.reward_funcs
    if specs is None and has_environment:
        return []
    if specs is None:
        raise ValueError(NO_REWARD_SOURCE)
    if isinstance(specs, str):
        specs = split_names(specs)
    elif not isinstance(specs, (list, tuple)):
        specs = [specs]
    funcs = resolve_rewards(list(specs), args.reward_kwargs)
    funcs = [
        f if isinstance(f, (str, torch.nn.Module)) else guard_reward(f, get_callable_name(f), args.reward_errors)
        for f in funcs
    ]
    levels = [getattr(f, "reward_level", "outcome") for f in funcs]
    names = [getattr(f, "__name__", str(f)) for f in funcs]
    if reward_mode == "outcome" and "step" in levels:
        step_names = [n for n, lvl in zip(names, levels) if lvl == "step"]
        raise ValueError(
            f"step-level rewards {step_names} need reward_mode='process' (reward_mode is 'outcome'); "
            "valid choices: 'outcome', 'process'"
        )
    if reward_mode != "process":
        return funcs
    if "step" not in levels and not has_environment:
        raise ValueError(
            f"reward_mode='process' needs at least one step-level reward; got only outcome rewards {names} "
            "(step rewards: see `grpo-plus rewards list`, e.g. 'arithmetic_steps' or 'prm')"
        )
    return [wrap_step(f, name) if level == "step" else f for f, level, name in zip(funcs, levels, names)]


def guard_environment_rewards(trainer, on_error: str) -> None:
    """TRL appends one reward per environment class that defines ``get_reward``; guard it like any reward."""
    for i, func in enumerate(trainer.reward_funcs):
        if callable(func) and not isinstance(func, torch.nn.Module) and not is_guarded(func) and not hasattr(func, "reward_level"):
            trainer.reward_funcs[i] = guard_reward(func, trainer.reward_func_names[i], on_error)


def _takes_turns(method) -> bool:
    """True when ``get_turn_rewards`` accepts an argument (then it receives the rollout's assistant turns)."""
    try:
        parameters = list(inspect.signature(method).parameters.values())
    except (TypeError, ValueError):
        return False
    return any(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL) for p in parameters[1:])


def _turn_reward(env_type: type):
    """A step reward reading ``get_turn_rewards()`` of the rollouts whose environment is exactly ``env_type``;
    ``get_turn_rewards(turns)`` receives the rollout's assistant-turn texts (one value is due per turn, and a turn
    whose tool call never reached the environment is still a turn)."""
    with_turns = _takes_turns(env_type.get_turn_rewards)

    def turn_rewards(steps, environments=None, **kwargs):
        if environments is None:
            raise ValueError(f"{env_type.__name__}.get_turn_rewards: the batch has no environments")
        return [
            (list(env.get_turn_rewards(list(row)) if with_turns else env.get_turn_rewards()))
            if type(env) is env_type
            else [None] * len(row)
            for env, row in zip(environments, steps)
        ]

    turn_rewards.reward_level = "step"
    return turn_rewards


TURN_REWARDS = "get_turn_rewards"


def hide_turn_rewards(tools):
    """TRL exposes every public environment method but ``reset`` / ``get_reward`` as a tool; ``get_turn_rewards`` is
    the environment's reward, not a tool. Accepts a list of tools or a ``{name: tool}`` dict."""
    if isinstance(tools, dict):
        return {name: tool for name, tool in tools.items() if name != TURN_REWARDS}
    return [tool for tool in tools if getattr(tool, "__name__", None) != TURN_REWARDS]


def hide_turn_reward_tools(trainer) -> None:
    """Take ``get_turn_rewards`` out of the tools TRL collected from the environments at init."""
    if getattr(trainer, "_env_tools", None):
        trainer._env_tools = {name: hide_turn_rewards(tools) for name, tools in trainer._env_tools.items()}
        trainer.tools = hide_turn_rewards(trainer.tools)


def add_turn_rewards(trainer, on_error: str, wrap_step: Callable[[Callable, str], Callable]) -> None:
    """Process mode: one step reward ``"<EnvClass>.turns"`` (weight 1) per environment class that defines
    ``get_turn_rewards`` (one value or None per assistant turn of its rollout, in order)."""
    seen: list[type] = []
    for pool in (getattr(trainer, "_environment_pool", None) or {}).values():
        env_type = type(pool[0])
        if env_type in seen or not callable(getattr(env_type, "get_turn_rewards", None)):
            continue
        seen.append(env_type)
        name = f"{env_type.__name__}.turns"
        trainer.reward_funcs.append(wrap_step(guard_reward(_turn_reward(env_type), name, on_error), name))
        trainer.reward_func_names.append(name)
        trainer.reward_processing_classes.append(None)
        trainer.reward_weights = torch.cat([trainer.reward_weights, torch.ones(1)])
