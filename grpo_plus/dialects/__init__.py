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

logger = logging.getLogger(__name__)

__all__ = ["DIALECTS", "DialectError", "Translation", "fit_precision", "split_flags", "translate"]


@dataclass
class Translation:
    """What :func:`translate` made of a config: the native fields, the remaining command line, the ``env`` block."""

    dialect: str
    config: dict[str, Any]
    argv: list[str]
    env: dict[str, Any] | None = None
    keys: set[str] = field(default_factory=set)


def _pop_flags(argv: Sequence[str], dest_of, optional_value: bool) -> tuple[list[str], dict[str, tuple[str, str]]]:
    """Take the ``--name value`` / ``--name=value`` flags whose ``dest_of(name)`` is not None out of ``argv``.

    With ``optional_value`` a flag not followed by a value (the end, or another ``--flag``) means ``"true"``; else
    it is an error. Returns (the other arguments, {dest: (name as written, value as written)})."""
    rest: list[str] = []
    found: dict[str, tuple[str, str]] = {}
    i = 0
    while i < len(argv):
        token = argv[i]
        name, eq, value = token[2:].partition("=") if token.startswith("--") else ("", "", "")
        dest = dest_of(name) if name else None
        if dest is None:
            rest.append(token)
            i += 1
            continue
        if not eq:
            if i + 1 < len(argv) and not (optional_value and argv[i + 1].startswith("--")):
                value = argv[i + 1]
                i += 1
            elif optional_value:
                value = "true"
            else:
                raise DialectError(f"--{name} needs a value")
        found[dest] = (name, value)
        i += 1
    return rest, found


def split_flags(argv: Sequence[str], native: Iterable[str]) -> tuple[list[str], dict[str, Any]]:
    """Take the LLaMA-Factory-only ``--key value`` / ``--key=value`` / ``--key`` (= true) flags out of ``argv``.

    Returns (the other arguments, {key: value as written}).
    """
    dialect_keys = lf_only_keys(native)
    rest, found = _pop_flags(
        argv, lambda name: name.replace("-", "_") if name.replace("-", "_") in dialect_keys else None, True
    )
    return rest, {key: value for key, (_, value) in found.items()}


def _take_native_flags(argv: Sequence[str], names: Iterable[str], options: Mapping[str, str]):
    """Take ``--name value`` flags of the native fields ``names`` (any alias in ``options``) out of ``argv``."""
    names = set(names)
    rest, found = _pop_flags(argv, lambda name: options.get(name) if options.get(name) in names else None, False)
    taken: dict[str, Any] = {}
    for dest, (name, value) in found.items():
        try:
            taken[dest] = int(value)
        except ValueError:
            raise DialectError(f"--{name}={value!r} is not valid; expected an integer") from None
    return rest, taken


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
    options: Mapping[str, str],
    argv: Sequence[str] = (),
    flags: Mapping[str, Any] | None = None,
    source: str = "the config",
    has_accelerator: bool = True,
    cli_fields: Iterable[str] = (),
) -> Translation:
    """The native fields of ``config`` in its dialect, with :func:`fit_precision` applied.

    Args:
        config: the YAML mapping (may hold ``dialect`` and TRL's ``env``).
        native: every field of GRPOPlusConfig, ModelConfig and DatasetArguments.
        options: every accepted ``--flag`` (without dashes) -> its field (to find the batch flags in ``argv``).
        argv: the native command-line arguments (after the config); batch flags are taken out of it for a
            LLaMA-Factory config.
        flags: LLaMA-Factory-only flags from :func:`split_flags`.
        source: the config's path, for messages.
        has_accelerator: whether a GPU (or XPU) is available.
        cli_fields: native fields set on the command line.

    Raises:
        DialectError: an unknown dialect, key or value (the message names it and the closest valid choice).
    """
    values = dict(config)
    native = set(native)
    flags = dict(flags or {})
    cli_fields = set(cli_fields)
    env = values.pop("env", None)
    dialect = values.pop("dialect", None)
    dialect_keys = lf_only_keys(native)
    if dialect is not None and dialect not in DIALECTS:
        raise DialectError(
            f"dialect={dialect!r} is not valid in {source}; choose one of: {', '.join(map(repr, DIALECTS))}"
        )
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
                "instead (the README's 'Coming from LLaMA-Factory' table maps them)"
            )
        if errors:
            raise DialectError("\n".join(errors))
        return Translation("trl", values, list(argv), env, set(values))
    argv, moved = _take_native_flags(argv, REREAD_FLAGS, options)
    values.update(moved)
    values.update(flags)
    out = translate_mapping(values, native, source, explicit_native=cli_fields)
    return Translation(LLAMAFACTORY, out, list(argv), env, set(config) - {"env"})
