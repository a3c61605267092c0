"""Translators of other tools' config files into grpo_plus's fields, for ``grpo-plus train --config``.

A config is read in one dialect: ``dialect: llamafactory`` / ``dialect: trl`` says which, else it is LLaMA-Factory
style when it holds any key only LLaMA-Factory has (``stage``, ``finetuning_type``, ``pref_beta``, ``lora_rank``,
``dataset``, ``cutoff_len``, ...). :func:`translate` returns the native fields for TRL's parser; the keys of each
dialect and their conversions are in its own module (:mod:`grpo_plus.dialects.llamafactory`).

On the command line, ``--field value`` flags override the file. With a LLaMA-Factory config, LLaMA-Factory keys may be
given as flags too (``--cutoff_len 512``), and the batch flags (``--per_device_train_batch_size``,
``--num_generations``, ...) are read as LLaMA-Factory's, like the file's.

:func:`fit_precision` (all dialects): a config asking for ``bf16`` / ``fp16`` on a machine without a GPU trains in
float32 instead, with one warning, unless the config or the command line sets ``use_cpu`` (then it is a choice).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from grpo_plus.dialects.llamafactory import (
    DIALECTS,
    NAME as LLAMAFACTORY,
    REREAD_FLAGS,
    DialectError,
    lf_only_keys,
    translate_mapping,
    unknown_key_message,
)
from rewards._names import choice_error, did_you_mean, split_names

logger = logging.getLogger(__name__)

__all__ = ["DIALECTS", "CommandLine", "DialectError", "Translation", "fit_precision", "lf_only_keys", "translate"]


@dataclass
class Translation:
    """What :func:`translate` made of a config: the native fields, the remaining command line, the ``env`` block."""

    dialect: str
    config: dict[str, Any]
    argv: list[str]
    env: dict[str, Any] | None = None
    keys: set[str] = field(default_factory=set)


@dataclass
class CommandLine:
    """``grpo-plus train``'s arguments, read once by :meth:`read`: the config path, the native ``--field value``
    flags and the LLaMA-Factory-only flags. The dialects translate it together with the config file."""

    config: str | None = None
    native: dict[str, tuple[str, list[str]]] = field(default_factory=dict)  # field -> (flag as written, values)
    foreign: dict[str, str] = field(default_factory=dict)  # LLaMA-Factory-only key -> value as written
    help: bool = False

    @classmethod
    def read(cls, argv: Sequence[str], options: Mapping[str, str], foreign_keys: Iterable[str]) -> CommandLine:
        """Read ``argv`` (``--name value ...``, ``--name=value``, a bare ``--name``; ``--config PATH``; ``--help``).

        Args:
            options: every accepted native ``--flag`` (without dashes) -> its field.
            foreign_keys: the LLaMA-Factory-only keys (:func:`~grpo_plus.dialects.llamafactory.lf_only_keys`); such
                a flag takes one value, ``true`` when none follows.

        Values are the tokens up to the next ``--flag``; ``reward_funcs`` values are comma lists too. A flag given
        twice keeps its last value.

        Raises:
            DialectError: an unknown flag (with the closest valid one), a stray argument, a flag without its value.
        """
        foreign_keys = set(foreign_keys)
        line = cls()
        unknown, stray = [], []
        groups: list[tuple[str, list[str]]] = []
        for token in argv:
            if token.startswith("--") or token == "-h":
                name, eq, value = token[2:].partition("=") if token != "-h" else ("h", "", "")
                groups.append((name, [value] if eq else []))
            elif groups:
                groups[-1][1].append(token)
            else:
                stray.append(token)
        for name, values in groups:
            key = name.replace("-", "_")
            if name in ("help", "h"):
                line.help = True
            elif name == "config":
                if len(values) != 1:
                    raise DialectError("--config needs one path to a YAML file")
                line.config = values[0]
            elif name in options:
                dest = options[name]
                if dest == "reward_funcs":
                    values = [part for value in values for part in split_names(value)]
                line.native[dest] = (name, values)
            elif key in foreign_keys:
                if len(values) > 1:
                    raise DialectError(f"--{name} takes one value, got {values}")
                line.foreign[key] = values[0] if values else "true"
            else:
                unknown.append(name)
        if stray:
            raise DialectError(f"unexpected argument {stray[0]!r}: options are written --field value")
        if unknown:
            flags = [f"--{option}" for option in options]
            raise DialectError("\n".join(unknown_option_message(f"--{name}", flags) for name in unknown))
        return line

    @property
    def fields(self) -> set[str]:
        """The native fields set on the command line."""
        return set(self.native)

    def argv(self, without: Iterable[str] = ()) -> list[str]:
        """The native flags as arguments for TRL's parser, leaving out the fields ``without``."""
        without = set(without)
        return [arg for dest, (name, values) in self.native.items() if dest not in without
                for arg in (f"--{name}", *values)]

    def integers(self, names: Iterable[str]) -> dict[str, int]:
        """The values of the native fields ``names`` given on the command line, as integers."""
        out = {}
        for dest in set(names) & set(self.native):
            name, values = self.native[dest]
            try:
                (out[dest],) = (int(value) for value in values)
            except ValueError:
                raise DialectError(f"--{name}={' '.join(values)!r} is not valid; expected an integer") from None
        return out


def unknown_option_message(flag: str, flags: Iterable[str]) -> str:
    """``unknown option '--x'; did you mean '--y'?`` (or where to find the valid ones)."""
    hint = did_you_mean(flag, flags)
    return f"unknown option '{flag}'" + (f"; {hint}" if hint else " (see `grpo-plus train --help` for the valid ones)")


def fit_precision(values: dict[str, Any], has_accelerator: bool, cli_fields: Iterable[str], source: str) -> None:
    """In place: ``bf16: true`` / ``fp16: true`` (and a ``dtype`` of bfloat16 / float16) become float32 when the
    machine has no GPU and neither the config nor the command line sets ``use_cpu``; one warning says so."""
    if has_accelerator or "use_cpu" in values or "use_cpu" in set(cli_fields):
        return
    half = [name for name in ("bf16", "fp16") if values.get(name) is True]
    if not half:
        return
    for name in half:
        values[name] = False
    changes = [f"{name}=False" for name in half]
    if values.get("dtype") in ("bfloat16", "float16"):
        changes.append(f"dtype='float32' (was {values['dtype']!r})")
        values["dtype"] = "float32"
    logger.warning(
        "%s in %s, but this machine has no GPU: training in float32 instead (%s); a GPU run keeps %s. Set use_cpu: "
        "true to keep it on the CPU",
        " and ".join(f"{name}: true" for name in half), source, ", ".join(changes), "/".join(half),
    )


def translate(
    config: Mapping[str, Any],
    *,
    native: Iterable[str],
    command_line: CommandLine | None = None,
    source: str = "the config",
    has_accelerator: bool = True,
) -> Translation:
    """The native fields of ``config`` in its dialect, with the command line's flags, and :func:`fit_precision`.

    Args:
        config: the YAML mapping (may hold ``dialect`` and TRL's ``env``).
        native: every field of GRPOPlusConfig, ModelConfig and DatasetArguments.
        command_line: the command line, read once (:class:`CommandLine`); with a LLaMA-Factory config its
            LLaMA-Factory-only flags and its batch flags (:data:`~grpo_plus.dialects.llamafactory.REREAD_FLAGS`)
            join the file's keys and are translated with them.
        source: the config's path, for messages.
        has_accelerator: whether a GPU (or XPU) is available.

    Raises:
        DialectError: an unknown dialect, key or value (the message names it and the valid choices).
    """
    values = dict(config)
    native = set(native)
    command_line = command_line if command_line is not None else CommandLine()
    flags = command_line.foreign
    cli_fields = command_line.fields
    env = values.pop("env", None)
    dialect = values.pop("dialect", None)
    dialect_keys = lf_only_keys(native)
    if dialect is not None and dialect not in DIALECTS:
        raise DialectError(choice_error("dialect", dialect, DIALECTS, why=f" in {source}"))
    if dialect is None:
        detected = [k for k in values if k in dialect_keys] if values else list(flags)
        dialect = LLAMAFACTORY if detected else "trl"
        if detected:
            logger.info("%s is LLaMA-Factory style (keys %s): translating it", source, ", ".join(detected[:4]))
    fit_precision(values, has_accelerator, cli_fields, source)
    if dialect == "trl":
        errors = []
        for name in values:
            if name in native:
                continue
            if name in dialect_keys:
                errors.append(
                    f"'{name}' in {source} is a LLaMA-Factory key, but the config says dialect: trl; remove the "
                    "dialect line to translate it"
                )
            else:
                errors.append(unknown_key_message(name, native, source))
        for name in flags:
            errors.append(
                f"--{name} is a LLaMA-Factory key, but {source} is a grpo_plus/TRL config; give the grpo_plus field "
                "instead (docs/llamafactory.md's table maps them)"
            )
        if errors:
            raise DialectError("\n".join(errors))
        return Translation("trl", values, command_line.argv(), env, set(values))
    moved = command_line.integers(REREAD_FLAGS)
    values.update(moved)
    values.update(flags)
    out = translate_mapping(values, native, source, explicit_native=cli_fields)
    return Translation(LLAMAFACTORY, out, command_line.argv(without=moved), env, set(config) - {"env"})
